// fetch() cannot report upload progress, XMLHttpRequest can. xhrFetch is a
// fetch built on XMLHttpRequest, given to UploadHttpLink as its `fetch`.
// A mutation asks for progress through its context:
//
//   upload({ variables, context: { fetchOptions: { onUploadProgress } } })
//
// Apollo copies context.fetchOptions into the init object the link hands
// to fetch, so the callback arrives here beside method, headers and body.

/** Upload progress: bytes of the request body sent so far, of `total`. */
export type UploadProgress = { loaded: number; total: number };

/** RequestInit plus the optional progress callback read by xhrFetch. */
export type XhrRequestInit = RequestInit & {
  onUploadProgress?: (progress: UploadProgress) => void;
};

/** A fetch whose upload reports progress to init.onUploadProgress. */
export function xhrFetch(input: RequestInfo | URL, init: XhrRequestInit = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const signal = init.signal;
    if (signal?.aborted) {
      reject(new DOMException("The request was aborted.", "AbortError"));
      return;
    }
    const url = input instanceof Request ? input.url : String(input);
    xhr.open(init.method ?? "GET", url, true);
    new Headers(init.headers).forEach((value, name) => xhr.setRequestHeader(name, value));
    xhr.responseType = "blob";
    if (init.credentials === "include") xhr.withCredentials = true;

    const onProgress = init.onUploadProgress;
    if (onProgress) {
      // Only a body with listeners on xhr.upload makes the browser send
      // progress events (and a CORS preflight, which this API wants anyway).
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) onProgress({ loaded: e.loaded, total: e.total });
      });
      xhr.upload.addEventListener("load", () => {
        onProgress({ loaded: 1, total: 1 });
      });
    }

    const abort = () => xhr.abort();
    signal?.addEventListener("abort", abort, { once: true });
    const done = () => signal?.removeEventListener("abort", abort);

    xhr.addEventListener("load", () => {
      done();
      // A Response gives Apollo the status, the Content-Type it negotiates
      // on, and text() it reads the body with.
      resolve(
        new Response(xhr.status === 204 || xhr.status === 205 || xhr.status === 304 ? null : xhr.response, {
          status: xhr.status,
          statusText: xhr.statusText,
          headers: parseHeaders(xhr.getAllResponseHeaders()),
        }),
      );
    });
    xhr.addEventListener("error", () => {
      done();
      reject(new TypeError("Network request failed"));
    });
    xhr.addEventListener("timeout", () => {
      done();
      reject(new TypeError("Network request timed out"));
    });
    xhr.addEventListener("abort", () => {
      done();
      reject(new DOMException("The request was aborted.", "AbortError"));
    });

    xhr.send((init.body as XMLHttpRequestBodyInit | null | undefined) ?? null);
  });
}

function parseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const i = line.indexOf(":");
    if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return headers;
}
