// Uses the generated types the way a frontend would: if the schema or an operation changes
// incompatibly, this stops compiling.
import type { ResultOf, VariablesOf } from "@graphql-typed-document-node/core";
import { BrowseFolderDocument, ItemDetailsDocument, SetPublicLinkDocument } from "./generated";

type Page = ResultOf<typeof BrowseFolderDocument>;

export function fileNames(page: Page): string[] {
  return page.item.children.edges.map((edge) => edge.node.name);
}

export function totalSize(page: Page): number {
  return page.item.children.edges.reduce((sum, edge) => sum + edge.node.size, 0);
}

export function browse(companyId: string, id: string): VariablesOf<typeof BrowseFolderDocument> {
  return { companyId, id, first: 50, sort: { by: "NAME", order: "ASC" } };
}

export function whyAccess(details: ResultOf<typeof ItemDetailsDocument>): string {
  const level: "NONE" | "READ" | "WRITE" | "MANAGE" = details.item.explainAccess.level;
  return `${level}: ${details.item.explainAccess.summary}`;
}

export function readOnlyLink(companyId: string, id: string, expiresAt: number): VariablesOf<typeof SetPublicLinkDocument> {
  return { companyId, id, level: "READ", expiration: expiresAt };
}
