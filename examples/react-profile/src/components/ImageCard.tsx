import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useMutation } from "@apollo/client/react";
import type { GalleryImageFieldsFragment } from "../gql/graphql";
import { DeleteImageMutation, UpdateImageMutation } from "../operations";
import { friendlyMessage } from "../errors";
import { BlurUpImage } from "./BlurUpImage";
import { removeImage } from "../cache";

// The grid's columns are at least 160px wide in a page at most 960px wide:
// about half the viewport on phones, a third on tablets, 240px on desktops.
const SIZES = "(min-width: 1000px) 240px, (min-width: 600px) 33vw, 50vw";

/** One gallery image: its thumbnail, alt text and tags, Edit and Delete. */
export function ImageCard({ image }: { image: GalleryImageFieldsFragment }) {
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const [edited, setEdited] = useState(false);
  // Back from the form, keyboard focus returns to the Edit button.
  useEffect(() => {
    if (!editing && edited) editButton.current?.focus();
  }, [editing, edited]);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState("");
  const [deleteImage, deleting] = useMutation(DeleteImageMutation, {
    update(cache, { data }) {
      if (data) removeImage(cache, data.deleteImage);
    },
  });
  const name = image.alt || image.filename;

  const remove = async () => {
    setError("");
    try {
      await deleteImage({ variables: { id: image.id } });
    } catch (e) {
      setError(friendlyMessage(e));
      setConfirming(false);
    }
  };

  return (
    <figure className="card">
      <BlurUpImage
        src={image.thumb}
        srcSet={image.srcSet}
        sizes={SIZES}
        placeholder={image.placeholder}
        alt={image.alt || `Untitled image (${image.filename})`}
        width={400}
        height={400}
        loading="lazy"
      />
      {editing ? (
        <EditForm
          image={image}
          onDone={() => {
            setEdited(true);
            setEditing(false);
          }}
        />
      ) : (
        <figcaption>
          <span className="alt">{image.alt || <em>No alt text: {image.filename}</em>}</span>
          {image.tags.length > 0 && (
            <ul className="tags" aria-label="Tags">
              {image.tags.map((t) => (
                <li key={t}>{t}</li>
              ))}
            </ul>
          )}
          <div className="actions">
            <button ref={editButton} type="button" onClick={() => setEditing(true)} aria-label={`Edit ${name}`}>
              Edit
            </button>
            {confirming ? (
              <>
                <button
                  type="button"
                  className="danger"
                  onClick={remove}
                  disabled={deleting.loading}
                  aria-label={`Really delete ${name}`}
                  autoFocus
                >
                  Really delete
                </button>
                <button type="button" onClick={() => setConfirming(false)} aria-label={`Keep ${name}`}>
                  Keep
                </button>
              </>
            ) : (
              <button type="button" onClick={() => setConfirming(true)} aria-label={`Delete ${name}`}>
                Delete
              </button>
            )}
          </div>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
        </figcaption>
      )}
    </figure>
  );
}

/** Edits alt text and tags through updateImage; the cache updates the card. */
function EditForm({ image, onDone }: { image: GalleryImageFieldsFragment; onDone: () => void }) {
  const id = useId();
  const [alt, setAlt] = useState(image.alt ?? "");
  const [tags, setTags] = useState(image.tags.join(", "));
  const [error, setError] = useState("");
  const [updateImage, { loading }] = useMutation(UpdateImageMutation);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    try {
      await updateImage({
        variables: {
          id: image.id,
          // An empty field clears: alt null, tags [] (API.md).
          alt: alt.trim() === "" ? null : alt.trim(),
          tags: tags
            .split(",")
            .map((t) => t.trim())
            .filter(Boolean),
        },
      });
      onDone();
    } catch (err) {
      setError(friendlyMessage(err));
    }
  };

  return (
    <form className="edit" onSubmit={submit}>
      <label htmlFor={`${id}-alt`}>Alt text</label>
      <input id={`${id}-alt`} value={alt} onChange={(e) => setAlt(e.target.value)} autoFocus />
      <label htmlFor={`${id}-tags`}>Tags (comma-separated)</label>
      <input id={`${id}-tags`} value={tags} onChange={(e) => setTags(e.target.value)} />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={loading}>
          Save
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
