// The Apollo Client set-up, the part of this example meant to be lifted
// (with cache.ts and xhrFetch.ts): UploadHttpLink with the preflight header
// and a progress-capable fetch, and an error link that notices a rejected
// token.
import { ApolloClient, ApolloLink } from "@apollo/client";
import { CombinedGraphQLErrors } from "@apollo/client/errors";
import { ErrorLink } from "@apollo/client/link/error";
import UploadHttpLink from "apollo-upload-client/UploadHttpLink.mjs";
import { createCache } from "./cache";
import { xhrFetch } from "./xhrFetch";

/** The API's base URL: VITE_API_URL at build time, else a local server. */
export const API_URL: string = (import.meta.env.VITE_API_URL as string | undefined) || "http://localhost:8080";

/**
 * createClient builds a client for one signed-in token. onUnauthenticated
 * runs when the API refuses the token (expired, or signed with another
 * secret), so the app can ask for a new one.
 */
export function createClient(token: string, onUnauthenticated: () => void): ApolloClient {
  const signOutOnRejectedToken = new ErrorLink(({ error }) => {
    if (CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) {
      onUnauthenticated();
    }
  });
  const upload = new UploadHttpLink({
    uri: `${API_URL}/graphql`,
    headers: {
      // Multipart requests must force a CORS preflight (the server's CSRF
      // protection); Authorization does too, this makes it explicit.
      "Apollo-Require-Preflight": "true",
      Authorization: `Bearer ${token}`,
    },
    // Reports upload progress to context.fetchOptions.onUploadProgress.
    fetch: xhrFetch,
  });
  return new ApolloClient({
    cache: createCache(),
    link: ApolloLink.from([signOutOnRejectedToken, upload]),
  });
}
