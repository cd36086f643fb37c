import { useRef, useState } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import { AVATAR_SIZE, MeQuery, RemoveAvatarMutation, SetAvatarMutation } from "../operations";
import { ACCEPT_ATTR, friendlyMessage } from "../errors";
import type { UploadProgress } from "../xhrFetch";
import { CropDialog, type PixelCrop } from "./CropDialog";
import { Progress, toPercent } from "./Progress";
import { BlurUpImage } from "./BlurUpImage";

/**
 * The viewer's profile: the avatar, "Change photo" (file, crop, upload with
 * progress) and "Remove photo". The mutations return the User, which Apollo
 * writes over the cached one, so the avatar changes without a refetch.
 */
export function Profile() {
  const { data, loading, error } = useQuery(MeQuery, { variables: { avatarSize: AVATAR_SIZE } });
  const [setAvatar] = useMutation(SetAvatarMutation);
  const [removeAvatar, removing] = useMutation(RemoveAvatarMutation);
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [percent, setPercent] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  if (loading) {
    return (
      <section aria-busy="true" className="profile">
        Loading your profile…
      </section>
    );
  }
  const me = data?.me;
  if (error || !me) {
    return (
      <section className="profile">
        <p role="alert" className="error">
          {error ? friendlyMessage(error) : "The API did not recognise this token."}
        </p>
      </section>
    );
  }

  const save = async (crop: PixelCrop) => {
    if (!file) return;
    setBusy(true);
    setMessage(null);
    setPercent(0);
    try {
      await setAvatar({
        variables: { file, crop, avatarSize: AVATAR_SIZE },
        context: {
          fetchOptions: {
            onUploadProgress: ({ loaded, total }: UploadProgress) => setPercent(toPercent(loaded, total)),
          },
        },
      });
      setFile(null);
      setMessage({ ok: true, text: "Your new photo is saved." });
    } catch (e) {
      setPercent(null);
      setMessage({ ok: false, text: friendlyMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setMessage(null);
    setPercent(null);
    try {
      await removeAvatar({ variables: { avatarSize: AVATAR_SIZE } });
      setMessage({ ok: true, text: "Your photo is removed." });
    } catch (e) {
      setMessage({ ok: false, text: friendlyMessage(e) });
    }
  };

  return (
    <section className="profile" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <div className="profile-row">
        <div className="avatar">
          {me.avatarUrl ? (
            <BlurUpImage
              key={me.avatarUrl}
              src={me.avatarUrl}
              placeholder={me.avatar?.placeholder}
              alt={`Profile photo of ${me.name}`}
              width={AVATAR_SIZE / 2}
              height={AVATAR_SIZE / 2}
              testId="avatar"
            />
          ) : (
            <div className="avatar-empty" role="img" aria-label={`${me.name} has no profile photo`}>
              {me.name.slice(0, 1).toUpperCase()}
            </div>
          )}
        </div>
        <div>
          <p className="name">{me.name}</p>
          <div className="actions">
            <button type="button" onClick={() => input.current?.click()} disabled={busy}>
              Change photo
            </button>
            {me.avatarUrl && (
              <button type="button" onClick={remove} disabled={busy || removing.loading}>
                Remove photo
              </button>
            )}
          </div>
          <input
            ref={input}
            type="file"
            accept={ACCEPT_ATTR}
            className="visually-hidden"
            tabIndex={-1}
            aria-label="Choose a profile photo"
            onChange={(e) => {
              const chosen = e.target.files?.[0];
              e.target.value = ""; // choosing the same file again still fires change
              if (chosen) {
                setMessage(null);
                setPercent(null);
                setFile(chosen);
              }
            }}
          />
          {percent !== null && !file && <Progress label="Photo upload" percent={percent} />}
          {message && !file && (
            <p role={message.ok ? "status" : "alert"} className={message.ok ? "ok" : "error"}>
              {message.text}
            </p>
          )}
        </div>
      </div>
      {file && (
        <CropDialog
          file={file}
          busy={busy}
          percent={percent}
          error={message && !message.ok ? message.text : ""}
          onCancel={() => {
            setFile(null);
            setPercent(null);
          }}
          onSave={save}
        />
      )}
    </section>
  );
}
