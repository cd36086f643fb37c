-- +goose Up
-- claim_guards deletes the upload guards of keys whose rows are being
-- inserted, and fails the whole transaction if any is missing (the removal
-- worker took that file): a row must never be written for a removed file.
-- Being one statement, it lets the claim and the inserts travel in one batch.
-- +goose StatementBegin
CREATE FUNCTION claim_guards(keys text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    claimed integer;
BEGIN
    DELETE FROM blob_removals WHERE storage_key = ANY (keys);
    GET DIAGNOSTICS claimed = ROW_COUNT;
    IF claimed <> cardinality(keys) THEN
        RAISE EXCEPTION 'claim guards: % of % stored files were already collected',
            cardinality(keys) - claimed, cardinality(keys) USING ERRCODE = 'MG001';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION claim_guards(text[]);
