import { useId, useState, type FormEvent } from "react";
import { API_URL } from "../apollo";

/** Asks for a bearer token, as printed by `go run ./server token`. */
export function SignIn({ notice, onSignIn }: { notice: string; onSignIn: (token: string) => void }) {
  const [value, setValue] = useState("");
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const token = value.trim().replace(/^Bearer\s+/i, "");
    if (token) onSignIn(token);
  };
  return (
    <main className="signin">
      <h1>mediagraph profile</h1>
      {notice && (
        <p role="alert" className="error">
          {notice}
        </p>
      )}
      <form onSubmit={submit}>
        <label htmlFor={id}>API token</label>
        <p className="hint" id={`${id}-hint`}>
          Print one with <code>go run ./server token --sub alice --name Alice</code> (the server must use the same{" "}
          <code>AUTH_JWT_SECRET</code>), or copy the <code>demo_token</code> a server without a secret logs at start.
          The API is <code>{API_URL}</code>.
        </p>
        <textarea
          id={id}
          aria-describedby={`${id}-hint`}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          rows={4}
          spellCheck={false}
          autoComplete="off"
          required
        />
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
