/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The API's base URL, e.g. https://media.example.com; default http://localhost:8080. */
  readonly VITE_API_URL?: string;
  /** Images per gallery page; default 12. */
  readonly VITE_PAGE_SIZE?: string;
}
