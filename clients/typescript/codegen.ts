// Generates typed operations from Quire's committed schema and the operations a frontend runs.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: "../../tests/queries/*.graphql",
  generates: {
    "src/generated.ts": {
      plugins: ["typescript", "typescript-operations", "typed-document-node"],
      config: {
        strictScalars: true,
        scalars: { Timestamp: "number", ByteCount: "number", Upload: "Blob" },
        enumsAsTypes: true,
      },
    },
  },
};

export default config;
