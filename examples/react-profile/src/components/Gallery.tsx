import { useId, useRef, useState, type DragEvent } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import { GalleryQuery, PAGE_SIZE, UploadImagesMutation } from "../operations";
import { ACCEPT_ATTR, friendlyMessage } from "../errors";
import type { UploadProgress } from "../xhrFetch";
import { Progress, toPercent } from "./Progress";
import { ImageCard } from "./ImageCard";
import { prependUploads } from "../cache";

/**
 * The viewer's gallery: drop or choose images (several at once, with upload
 * progress), a responsive grid of square thumbnails, and "Load more".
 */
export function Gallery() {
  const headingId = useId();
  const { data, loading, error, fetchMore } = useQuery(GalleryQuery, {
    variables: { first: PAGE_SIZE },
    notifyOnNetworkStatusChange: true,
  });
  const [uploadImages] = useMutation(UploadImagesMutation, {
    update(cache, { data }) {
      if (data) prependUploads(cache, data.uploadImages);
    },
  });
  const input = useRef<HTMLInputElement>(null);
  const [percent, setPercent] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  const upload = async (files: File[]) => {
    if (files.length === 0 || busy) return;
    setBusy(true);
    setMessage(null);
    setPercent(0);
    try {
      const { data } = await uploadImages({
        variables: { files },
        context: {
          fetchOptions: {
            onUploadProgress: ({ loaded, total }: UploadProgress) => setPercent(toPercent(loaded, total)),
          },
        },
      });
      const n = data?.uploadImages.length ?? 0;
      setMessage({ ok: true, text: `${n} ${n === 1 ? "image" : "images"} added.` });
    } catch (e) {
      setPercent(null);
      setMessage({ ok: false, text: friendlyMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void upload(Array.from(e.dataTransfer.files));
  };

  const images = data?.images;
  return (
    <section className="gallery" aria-labelledby={headingId}>
      <h2 id={headingId}>Gallery</h2>
      <div
        className={`dropzone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drop images here, or</p>
        <button type="button" onClick={() => input.current?.click()} disabled={busy}>
          Choose images
        </button>
        <input
          ref={input}
          type="file"
          accept={ACCEPT_ATTR}
          multiple
          className="visually-hidden"
          tabIndex={-1}
          aria-label="Choose images to upload"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = "";
            void upload(files);
          }}
        />
        {percent !== null && <Progress label="Gallery upload" percent={percent} />}
        {message && (
          <p role={message.ok ? "status" : "alert"} className={message.ok ? "ok" : "error"}>
            {message.text}
          </p>
        )}
      </div>

      {error && (
        <p role="alert" className="error">
          {friendlyMessage(error)}
        </p>
      )}
      {loading && !images && <p aria-busy="true">Loading your images…</p>}
      {images && (
        <>
          <p className="count">
            {images.totalCount === 0
              ? "No images yet."
              : `Showing ${images.edges.length} of ${images.totalCount} ${images.totalCount === 1 ? "image" : "images"}.`}
          </p>
          <ul className="grid">
            {images.edges.map(({ node }) => (
              <li key={node.id}>
                <ImageCard image={node} />
              </li>
            ))}
          </ul>
          {images.pageInfo.hasNextPage && (
            <button
              type="button"
              className="load-more"
              disabled={loadingMore}
              onClick={async () => {
                setLoadingMore(true);
                try {
                  await fetchMore({ variables: { after: images.pageInfo.endCursor } });
                } catch (e) {
                  setMessage({ ok: false, text: friendlyMessage(e) });
                } finally {
                  setLoadingMore(false);
                }
              }}
            >
              {loadingMore ? "Loading…" : "Load more"}
            </button>
          )}
        </>
      )}
    </section>
  );
}
