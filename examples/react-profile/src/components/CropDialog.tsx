import { useEffect, useId, useRef, useState, type ImgHTMLAttributes } from "react";
import Cropper, { type Area, type MediaSize } from "react-easy-crop";
import { Progress } from "./Progress";

/** A rectangle in the image's own pixels, as setAvatar's CropInput wants it. */
export type PixelCrop = { x: number; y: number; width: number; height: number };

/**
 * toPixelCrop turns react-easy-crop's area (fractional pixels of the image
 * as the browser shows it, EXIF orientation applied, as the API measures
 * it too) into whole pixels wholly inside the image, as the API requires.
 */
export function toPixelCrop(area: Area, naturalWidth: number, naturalHeight: number): PixelCrop {
  const x = Math.min(Math.max(0, Math.round(area.x)), naturalWidth - 1);
  const y = Math.min(Math.max(0, Math.round(area.y)), naturalHeight - 1);
  const width = Math.max(1, Math.min(Math.round(area.width), naturalWidth - x));
  const height = Math.max(1, Math.min(Math.round(area.height), naturalHeight - y));
  return { x, y, width, height };
}

/**
 * The crop step of "Change photo": a modal dialog with a square crop the
 * pointer or the arrow keys move, a zoom slider, and Save / Cancel.
 */
export function CropDialog({
  file,
  busy,
  percent,
  error,
  onCancel,
  onSave,
}: {
  file: File;
  busy: boolean;
  percent: number | null;
  error: string;
  onCancel: () => void;
  onSave: (crop: PixelCrop) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const zoomId = useId();
  const helpId = useId();
  const [src, setSrc] = useState("");
  const [crop, setCrop] = useState({ x: 0, y: 0 });
  const [zoom, setZoom] = useState(1);
  const [media, setMedia] = useState<MediaSize | null>(null);
  const [area, setArea] = useState<Area | null>(null);

  useEffect(() => {
    const url = URL.createObjectURL(file);
    setSrc(url);
    return () => URL.revokeObjectURL(url);
  }, [file]);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);

  const pixels = media && area ? toPixelCrop(area, media.naturalWidth, media.naturalHeight) : null;

  return (
    <dialog
      ref={dialog}
      className="crop-dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault(); // Escape: leave closing to React's state
        if (!busy) onCancel();
      }}
    >
      <h2 id={titleId}>Crop your photo</h2>
      <p id={helpId} className="hint">
        Drag the photo, or focus the square and use the arrow keys (Shift for small steps). Zoom with the slider.
      </p>
      <div className="crop-area">
        {src && (
          <Cropper
            image={src}
            crop={crop}
            zoom={zoom}
            aspect={1}
            cropShape="round"
            showGrid={false}
            keyboardStep={10}
            onCropChange={setCrop}
            onZoomChange={setZoom}
            onMediaLoaded={setMedia}
            onCropComplete={(_, areaPixels) => setArea(areaPixels)}
            mediaProps={{ alt: `The photo to crop: ${file.name}` } as ImgHTMLAttributes<HTMLElement>}
            cropperProps={{
              role: "group",
              "aria-label": "Crop square: arrow keys move it",
              "aria-describedby": helpId,
            }}
          />
        )}
      </div>
      <div className="zoom">
        <label htmlFor={zoomId}>Zoom</label>
        <input
          id={zoomId}
          type="range"
          min={1}
          max={3}
          step={0.05}
          value={zoom}
          onChange={(e) => setZoom(Number(e.target.value))}
        />
      </div>
      {percent !== null && <Progress label="Photo upload" percent={percent} />}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary" disabled={!pixels || busy} onClick={() => pixels && onSave(pixels)}>
          {busy ? "Saving…" : "Save photo"}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
