// GraphQL Code Generator: typed documents for every operation in src/,
// checked against the server's own schema. `npm run codegen` rewrites
// src/gql/, which is committed so that `npm ci && npm run build` needs
// neither the generator's network nor a running server.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../graph/schema.graphqls",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { Upload: "File", Time: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: false,
      },
    },
  },
};

export default config;
