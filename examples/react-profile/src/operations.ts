// Every GraphQL operation the app sends. `graphql()` comes from the
// generated client preset, so each document is typed from the schema.
import { graphql } from "./gql";

/** Side of the square avatar the app asks for, in pixels (shown at half: sharp on 2x screens). */
export const AVATAR_SIZE = 256;

/** Images per gallery page; VITE_PAGE_SIZE changes it (the browser test uses 2 to reach "Load more"). */
export const PAGE_SIZE = Number(import.meta.env.VITE_PAGE_SIZE) || 12;

export const ProfileFields = graphql(`
  fragment ProfileFields on User {
    id
    name
    avatarUrl(size: $avatarSize)
    avatar {
      id
      placeholder
    }
  }
`);

export const MeQuery = graphql(`
  query Me($avatarSize: Int!) {
    me {
      ...ProfileFields
    }
  }
`);

export const SetAvatarMutation = graphql(`
  mutation SetAvatar($file: Upload!, $crop: CropInput, $avatarSize: Int!) {
    setAvatar(file: $file, crop: $crop) {
      ...ProfileFields
    }
  }
`);

export const RemoveAvatarMutation = graphql(`
  mutation RemoveAvatar($avatarSize: Int!) {
    removeAvatar {
      ...ProfileFields
    }
  }
`);

// Thumbnails are square crops; srcSet offers three widths of the same crop
// and the browser picks one from the img's `sizes`.
export const GalleryImageFields = graphql(`
  fragment GalleryImageFields on Image {
    id
    filename
    alt
    tags
    width
    height
    placeholder
    thumb: url(transform: { width: 400, height: 400, crop: FILL })
    srcSet(widths: [200, 400, 800], transform: { width: 400, height: 400, crop: FILL })
  }
`);

export const GalleryQuery = graphql(`
  query Gallery($first: Int!, $after: String) {
    images(first: $first, after: $after) {
      totalCount
      edges {
        cursor
        node {
          ...GalleryImageFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const UploadImagesMutation = graphql(`
  mutation UploadImages($files: [Upload!]!) {
    uploadImages(files: $files) {
      ...GalleryImageFields
    }
  }
`);

export const UpdateImageMutation = graphql(`
  mutation UpdateImage($id: ID!, $alt: String, $tags: [String!]) {
    updateImage(id: $id, alt: $alt, tags: $tags) {
      id
      alt
      tags
    }
  }
`);

export const DeleteImageMutation = graphql(`
  mutation DeleteImage($id: ID!) {
    deleteImage(id: $id)
  }
`);
