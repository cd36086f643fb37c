// The cache policy for the images connection and the two cache updates
// that keep the gallery right after an upload or a deletion without
// refetching it.
import { InMemoryCache, type ApolloCache, type Reference } from "@apollo/client";

/** An images connection as the cache stores it: edges point at Image entries. */
type CachedConnection = {
  __typename?: string;
  edges: { __typename?: string; cursor: string; node: Reference }[];
  totalCount: number;
  pageInfo: unknown;
};

/** createCache makes the InMemoryCache with Query.images merging its pages. */
export function createCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          images: {
            // One list per tag; first/after only select pages of it.
            keyArgs: ["tag"],
            merge(existing: CachedConnection | undefined, incoming: CachedConnection, { args }) {
              // The first page (a fresh load or a refetch) starts the list over.
              if (!existing || !args?.after) return incoming;
              // A later page: append, skipping images already shown. Cursors
              // are keyset, so pages do not shift; but an upload of bytes
              // already stored returns that older image, which prependUploads
              // put at the head before its own page arrived.
              const seen = new Set(existing.edges.map((e) => e.node.__ref));
              return {
                ...incoming,
                edges: [...existing.edges, ...incoming.edges.filter((e) => !seen.has(e.node.__ref))],
              };
            },
          },
        },
      },
    },
  });
}

/**
 * prependUploads puts freshly uploaded images at the head of the cached
 * gallery (newest first, as the API lists them). An image the list already
 * holds (the API dedupes identical bytes) is not added twice. An older image
 * returned for bytes uploaded again, from a page not loaded yet, is counted
 * once more in totalCount until the next refetch: the API does not say
 * whether an upload was new.
 */
export function prependUploads(cache: ApolloCache, images: readonly { id: string }[]): void {
  cache.modify({
    fields: {
      images(existing, { storeFieldName, toReference }) {
        const list = existing as CachedConnection;
        // A list filtered by tag may not hold the new images: leave it be.
        if (storeFieldName.includes('"tag":"')) return list;
        const held = new Set(list.edges.map((e) => e.node.__ref));
        // The API stores a batch in the order of its files, so the last is the newest.
        const added = [...images]
          .reverse()
          .map((img) => toReference({ __typename: "Image", id: img.id })!)
          .filter((ref) => !held.has(ref.__ref))
          // Pages continue from pageInfo.endCursor, so these edges' own cursors are never read.
          .map((node) => ({ __typename: "ImageEdge", cursor: "", node }));
        return { ...list, edges: [...added, ...list.edges], totalCount: list.totalCount + added.length };
      },
    },
  });
}

/**
 * removeImage takes a deleted image out of every cached list (and its
 * count), then evicts it so that nothing can show it again.
 */
export function removeImage(cache: ApolloCache, id: string): void {
  const ref = cache.identify({ __typename: "Image", id });
  cache.modify({
    fields: {
      images(existing) {
        const list = existing as CachedConnection;
        const edges = list.edges.filter((e) => e.node.__ref !== ref);
        return edges.length === list.edges.length ? list : { ...list, edges, totalCount: list.totalCount - 1 };
      },
    },
  });
  cache.evict({ id: ref });
  cache.gc();
}
