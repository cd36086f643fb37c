import { useCallback, useMemo, useState } from "react";
import { ApolloProvider } from "@apollo/client/react";
import { createClient } from "./apollo";
import { SignIn } from "./components/SignIn";
import { Profile } from "./components/Profile";
import { Gallery } from "./components/Gallery";
import { UNAUTHENTICATED_MESSAGE } from "./errors";

const TOKEN_KEY = "mediagraph.token";

/** The demo's sign-in: a pasted bearer token, kept in localStorage. */
export function App() {
  const [token, setToken] = useState(() => localStorage.getItem(TOKEN_KEY) ?? "");
  const [notice, setNotice] = useState("");

  const signOut = useCallback((why = "") => {
    localStorage.removeItem(TOKEN_KEY);
    setToken("");
    setNotice(why);
  }, []);

  // One client (and cache) per token: signing in as someone else starts clean.
  const client = useMemo(
    () => (token ? createClient(token, () => signOut(UNAUTHENTICATED_MESSAGE)) : null),
    [token, signOut],
  );

  if (!client) {
    return (
      <SignIn
        notice={notice}
        onSignIn={(t) => {
          localStorage.setItem(TOKEN_KEY, t);
          setNotice("");
          setToken(t);
        }}
      />
    );
  }
  return (
    <ApolloProvider client={client}>
      <header className="topbar">
        <h1>mediagraph profile</h1>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main>
        <Profile />
        <Gallery />
      </main>
    </ApolloProvider>
  );
}
