// Errors in words a person understands, chosen by the API's
// extensions.code (API.md lists them), never by parsing English; the limit
// a refused upload broke comes in extensions too (maxFileBytes, maxFiles).
import { CombinedGraphQLErrors, ServerError } from "@apollo/client/errors";

/** The formats the API accepts (API.md, "Uploads"). */
export const ACCEPTED_FORMATS = "JPEG, PNG, GIF, WebP or AVIF";

/** What the sign-in page says after the API refused the token. */
export const UNAUTHENTICATED_MESSAGE =
  "Your token was not accepted (it may have expired). Paste a new one to sign in again.";

/** The `accept` attribute of the app's file inputs. */
export const ACCEPT_ATTR = "image/jpeg,image/png,image/gif,image/webp,image/avif";

/** The extensions of the first error in an Apollo error that has a code. */
function firstExtensions(error: unknown): Record<string, unknown> | undefined {
  if (CombinedGraphQLErrors.is(error)) {
    for (const e of error.errors) {
      if (typeof e.extensions?.code === "string") return e.extensions;
    }
  }
  return undefined;
}

/** The first extensions.code in an Apollo error, if any. */
export function errorCode(error: unknown): string | undefined {
  return firstExtensions(error)?.code as string | undefined;
}

/** A readable size: 2097152 -> "2 MB" (binary units, as servers count). */
export function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${+(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${+(n / (1 << 10)).toFixed(1)} KB`;
  return `${n} bytes`;
}

/** What to tell the person about error, in one or two sentences. */
export function friendlyMessage(error: unknown): string {
  const ext = firstExtensions(error);
  const code = ext?.code;
  const first = CombinedGraphQLErrors.is(error) ? error.errors[0]?.message ?? "" : "";
  switch (code) {
    case "FILE_TOO_LARGE": {
      const limit = ext?.maxFileBytes;
      return typeof limit === "number"
        ? `That file is too large: the limit is ${formatBytes(limit)} per file.`
        : "That file is larger than the server accepts.";
    }
    case "INVALID_IMAGE":
      return `That file is not an image we can use. Choose a ${ACCEPTED_FORMATS} file.`;
    case "TOO_MANY_PIXELS":
      return "That image has too many pixels. Choose a smaller one.";
    case "TOO_MANY_FILES": {
      const limit = ext?.maxFiles;
      return typeof limit === "number"
        ? `That is too many files at once: send at most ${limit}.`
        : "That is too many files at once. Choose fewer and try again.";
    }
    case "UNAUTHENTICATED":
      return UNAUTHENTICATED_MESSAGE;
    case "FORBIDDEN":
      return "That belongs to someone else.";
    case "NOT_FOUND":
      return "That no longer exists. It may have been deleted in another tab.";
    case "BAD_USER_INPUT":
      return `Something in the request was not accepted: ${first}`;
    case "STORAGE_UNAVAILABLE":
      return "Storage is not answering right now. Nothing was saved; try again in a moment.";
  }
  if (ServerError.is(error) && error.statusCode === 413) {
    return "Those files are too large together. Send fewer at a time.";
  }
  if (error instanceof TypeError || (ServerError.is(error) && error.statusCode >= 500)) {
    return "The server could not be reached. Check that it is running and try again.";
  }
  return "Something went wrong. Try again.";
}
