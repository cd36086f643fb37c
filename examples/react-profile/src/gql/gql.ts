/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment ProfileFields on User {\n    id\n    name\n    avatarUrl(size: $avatarSize)\n    avatar {\n      id\n      placeholder\n    }\n  }\n": typeof types.ProfileFieldsFragmentDoc,
    "\n  query Me($avatarSize: Int!) {\n    me {\n      ...ProfileFields\n    }\n  }\n": typeof types.MeDocument,
    "\n  mutation SetAvatar($file: Upload!, $crop: CropInput, $avatarSize: Int!) {\n    setAvatar(file: $file, crop: $crop) {\n      ...ProfileFields\n    }\n  }\n": typeof types.SetAvatarDocument,
    "\n  mutation RemoveAvatar($avatarSize: Int!) {\n    removeAvatar {\n      ...ProfileFields\n    }\n  }\n": typeof types.RemoveAvatarDocument,
    "\n  fragment GalleryImageFields on Image {\n    id\n    filename\n    alt\n    tags\n    width\n    height\n    placeholder\n    thumb: url(transform: { width: 400, height: 400, crop: FILL })\n    srcSet(widths: [200, 400, 800], transform: { width: 400, height: 400, crop: FILL })\n  }\n": typeof types.GalleryImageFieldsFragmentDoc,
    "\n  query Gallery($first: Int!, $after: String) {\n    images(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...GalleryImageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.GalleryDocument,
    "\n  mutation UploadImages($files: [Upload!]!) {\n    uploadImages(files: $files) {\n      ...GalleryImageFields\n    }\n  }\n": typeof types.UploadImagesDocument,
    "\n  mutation UpdateImage($id: ID!, $alt: String, $tags: [String!]) {\n    updateImage(id: $id, alt: $alt, tags: $tags) {\n      id\n      alt\n      tags\n    }\n  }\n": typeof types.UpdateImageDocument,
    "\n  mutation DeleteImage($id: ID!) {\n    deleteImage(id: $id)\n  }\n": typeof types.DeleteImageDocument,
};
const documents: Documents = {
    "\n  fragment ProfileFields on User {\n    id\n    name\n    avatarUrl(size: $avatarSize)\n    avatar {\n      id\n      placeholder\n    }\n  }\n": types.ProfileFieldsFragmentDoc,
    "\n  query Me($avatarSize: Int!) {\n    me {\n      ...ProfileFields\n    }\n  }\n": types.MeDocument,
    "\n  mutation SetAvatar($file: Upload!, $crop: CropInput, $avatarSize: Int!) {\n    setAvatar(file: $file, crop: $crop) {\n      ...ProfileFields\n    }\n  }\n": types.SetAvatarDocument,
    "\n  mutation RemoveAvatar($avatarSize: Int!) {\n    removeAvatar {\n      ...ProfileFields\n    }\n  }\n": types.RemoveAvatarDocument,
    "\n  fragment GalleryImageFields on Image {\n    id\n    filename\n    alt\n    tags\n    width\n    height\n    placeholder\n    thumb: url(transform: { width: 400, height: 400, crop: FILL })\n    srcSet(widths: [200, 400, 800], transform: { width: 400, height: 400, crop: FILL })\n  }\n": types.GalleryImageFieldsFragmentDoc,
    "\n  query Gallery($first: Int!, $after: String) {\n    images(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...GalleryImageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.GalleryDocument,
    "\n  mutation UploadImages($files: [Upload!]!) {\n    uploadImages(files: $files) {\n      ...GalleryImageFields\n    }\n  }\n": types.UploadImagesDocument,
    "\n  mutation UpdateImage($id: ID!, $alt: String, $tags: [String!]) {\n    updateImage(id: $id, alt: $alt, tags: $tags) {\n      id\n      alt\n      tags\n    }\n  }\n": types.UpdateImageDocument,
    "\n  mutation DeleteImage($id: ID!) {\n    deleteImage(id: $id)\n  }\n": types.DeleteImageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ProfileFields on User {\n    id\n    name\n    avatarUrl(size: $avatarSize)\n    avatar {\n      id\n      placeholder\n    }\n  }\n"): (typeof documents)["\n  fragment ProfileFields on User {\n    id\n    name\n    avatarUrl(size: $avatarSize)\n    avatar {\n      id\n      placeholder\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me($avatarSize: Int!) {\n    me {\n      ...ProfileFields\n    }\n  }\n"): (typeof documents)["\n  query Me($avatarSize: Int!) {\n    me {\n      ...ProfileFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetAvatar($file: Upload!, $crop: CropInput, $avatarSize: Int!) {\n    setAvatar(file: $file, crop: $crop) {\n      ...ProfileFields\n    }\n  }\n"): (typeof documents)["\n  mutation SetAvatar($file: Upload!, $crop: CropInput, $avatarSize: Int!) {\n    setAvatar(file: $file, crop: $crop) {\n      ...ProfileFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveAvatar($avatarSize: Int!) {\n    removeAvatar {\n      ...ProfileFields\n    }\n  }\n"): (typeof documents)["\n  mutation RemoveAvatar($avatarSize: Int!) {\n    removeAvatar {\n      ...ProfileFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment GalleryImageFields on Image {\n    id\n    filename\n    alt\n    tags\n    width\n    height\n    placeholder\n    thumb: url(transform: { width: 400, height: 400, crop: FILL })\n    srcSet(widths: [200, 400, 800], transform: { width: 400, height: 400, crop: FILL })\n  }\n"): (typeof documents)["\n  fragment GalleryImageFields on Image {\n    id\n    filename\n    alt\n    tags\n    width\n    height\n    placeholder\n    thumb: url(transform: { width: 400, height: 400, crop: FILL })\n    srcSet(widths: [200, 400, 800], transform: { width: 400, height: 400, crop: FILL })\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Gallery($first: Int!, $after: String) {\n    images(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...GalleryImageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Gallery($first: Int!, $after: String) {\n    images(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...GalleryImageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UploadImages($files: [Upload!]!) {\n    uploadImages(files: $files) {\n      ...GalleryImageFields\n    }\n  }\n"): (typeof documents)["\n  mutation UploadImages($files: [Upload!]!) {\n    uploadImages(files: $files) {\n      ...GalleryImageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateImage($id: ID!, $alt: String, $tags: [String!]) {\n    updateImage(id: $id, alt: $alt, tags: $tags) {\n      id\n      alt\n      tags\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateImage($id: ID!, $alt: String, $tags: [String!]) {\n    updateImage(id: $id, alt: $alt, tags: $tags) {\n      id\n      alt\n      tags\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteImage($id: ID!) {\n    deleteImage(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteImage($id: ID!) {\n    deleteImage(id: $id)\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;