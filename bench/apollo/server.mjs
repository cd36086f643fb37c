// The baseline for the side-by-side load comparison: mediagraph's upload and
// gallery jobs as a team would write them on Apollo Server 4 with
// graphql-upload, node-postgres, dataloader, jsonwebtoken and image-size.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/apollo_bench \
//   AUTH_JWT_SECRET=... MEDIA_DIR=/tmp/media PORT=4000 node server.mjs
//
// WORKERS=N (default 1) forks N processes with node:cluster sharing the port.

import cluster from "node:cluster";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import http from "node:http";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

import { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@apollo/server/express4";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import DataLoader from "dataloader";
import express from "express";
import { GraphQLError } from "graphql";
import GraphQLUpload from "graphql-upload/GraphQLUpload.mjs";
import graphqlUploadExpress from "graphql-upload/graphqlUploadExpress.mjs";
import { imageSizeFromFile } from "image-size/fromFile";
import jwt from "jsonwebtoken";
import pg from "pg";

const PORT = Number(process.env.PORT ?? 4000);
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/apollo_bench";
const MEDIA_DIR = process.env.MEDIA_DIR ?? "./data/media";
const PUBLIC_URL = process.env.PUBLIC_URL ?? `http://localhost:${PORT}`;
const SECRET = process.env.AUTH_JWT_SECRET;
const WORKERS = Number(process.env.WORKERS ?? 1);
const MAX_FILE_BYTES = 20 * 1024 * 1024;

if (!SECRET) {
  console.error("AUTH_JWT_SECRET is required");
  process.exit(2);
}

const typeDefs = `#graphql
  scalar Upload

  type User {
    id: ID!
    name: String!
    avatar: Image
  }

  type Image {
    id: ID!
    owner: User!
    url: String!
    width: Int!
    height: Int!
    bytes: Int!
    sha256: String!
    alt: String
    tags: [String!]!
  }

  type ImageEdge {
    cursor: String!
    node: Image!
  }

  type PageInfo {
    endCursor: String
    hasNextPage: Boolean!
  }

  type ImageConnection {
    edges: [ImageEdge!]!
    pageInfo: PageInfo!
  }

  type Query {
    images(first: Int!, after: String): ImageConnection!
  }

  type Mutation {
    uploadImage(file: Upload!, alt: String, tags: [String!]): Image!
    setAvatar(file: Upload!): User!
  }
`;

const IMAGE_COLUMNS = "id, owner_id, storage_key, bytes, sha256, width, height, alt, tags";
const IMAGE_TYPES = new Set(["jpg", "png", "gif", "webp", "avif"]);

function userError(message, code = "BAD_USER_INPUT") {
  return new GraphQLError(message, { extensions: { code } });
}

function requireViewer(ctx) {
  if (!ctx.viewerId) throw userError("Sign in first", "UNAUTHENTICATED");
  return ctx.viewerId;
}

const encodeCursor = (id) => Buffer.from(String(id)).toString("base64url");

function decodeCursor(cursor) {
  const id = Buffer.from(cursor, "base64url").toString();
  if (!/^[1-9][0-9]{0,18}$/.test(id)) throw userError("Invalid cursor");
  return id;
}

// storeUpload streams an upload into MEDIA_DIR under a random key, hashing it
// on the way, then reads its dimensions from the file's header.
async function storeUpload(upload) {
  const { createReadStream, filename } = await upload;
  const key = randomBytes(16).toString("hex");
  const path = join(MEDIA_DIR, key);
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    await pipeline(
      createReadStream(),
      new Transform({
        transform(chunk, _encoding, callback) {
          hash.update(chunk);
          bytes += chunk.length;
          callback(null, chunk);
        },
      }),
      createWriteStream(path),
    );
    let size;
    try {
      size = await imageSizeFromFile(path);
    } catch {
      throw userError("Not an image", "INVALID_IMAGE");
    }
    if (!IMAGE_TYPES.has(size.type)) throw userError(`Unsupported image type ${size.type}`, "INVALID_IMAGE");
    return {
      key,
      filename,
      contentType: `image/${size.type === "jpg" ? "jpeg" : size.type}`,
      bytes,
      sha256: hash.digest("hex"),
      width: size.width,
      height: size.height,
    };
  } catch (err) {
    await rm(path, { force: true });
    if (err.status === 413) throw userError(err.message, "FILE_TOO_LARGE");
    throw err;
  }
}

async function insertImage(db, ownerId, kind, file, alt, tags) {
  const { rows } = await db.query(
    `INSERT INTO images (owner_id, kind, storage_key, filename, content_type, bytes, sha256, width, height, alt, tags)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     RETURNING ${IMAGE_COLUMNS}`,
    [ownerId, kind, file.key, file.filename, file.contentType, file.bytes, file.sha256, file.width, file.height, alt ?? null, tags ?? []],
  );
  return rows[0];
}

const resolvers = {
  Upload: GraphQLUpload,

  Query: {
    async images(_, { first, after }, ctx) {
      const ownerId = requireViewer(ctx);
      if (first < 1 || first > 100) throw userError("first must be between 1 and 100");
      // One more row than asked tells whether there is a next page.
      const { rows } = after
        ? await ctx.pool.query(
            `SELECT ${IMAGE_COLUMNS} FROM images
             WHERE owner_id = $1 AND kind = 'gallery' AND id < $2
             ORDER BY id DESC LIMIT $3`,
            [ownerId, decodeCursor(after), first + 1],
          )
        : await ctx.pool.query(
            `SELECT ${IMAGE_COLUMNS} FROM images
             WHERE owner_id = $1 AND kind = 'gallery'
             ORDER BY id DESC LIMIT $2`,
            [ownerId, first + 1],
          );
      const page = rows.slice(0, first);
      const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
      return {
        edges,
        pageInfo: { endCursor: edges.at(-1)?.cursor ?? null, hasNextPage: rows.length > first },
      };
    },
  },

  Mutation: {
    async uploadImage(_, { file, alt, tags }, ctx) {
      const ownerId = requireViewer(ctx);
      const stored = await storeUpload(file);
      try {
        return await insertImage(ctx.pool, ownerId, "gallery", stored, alt, tags);
      } catch (err) {
        await rm(join(MEDIA_DIR, stored.key), { force: true });
        throw err;
      }
    },

    async setAvatar(_, { file }, ctx) {
      const ownerId = requireViewer(ctx);
      const stored = await storeUpload(file);
      const client = await ctx.pool.connect();
      try {
        await client.query("BEGIN");
        const image = await insertImage(client, ownerId, "avatar", stored);
        const { rows } = await client.query(
          "UPDATE users SET avatar_id = $1 WHERE id = $2 RETURNING id, name, avatar_id",
          [image.id, ownerId],
        );
        await client.query("COMMIT");
        return rows[0];
      } catch (err) {
        await client.query("ROLLBACK");
        await rm(join(MEDIA_DIR, stored.key), { force: true });
        throw err;
      } finally {
        client.release();
      }
    },
  },

  Image: {
    url: (image) => `${PUBLIC_URL}/media/${image.storage_key}`,
    owner: (image, _, ctx) => ctx.loaders.user.load(image.owner_id),
  },

  User: {
    avatar: (user, _, ctx) => (user.avatar_id ? ctx.loaders.image.load(user.avatar_id) : null),
  },
};

// byId lines rows up with the keys DataLoader asked for.
function byId(keys, rows) {
  const found = new Map(rows.map((row) => [String(row.id), row]));
  return keys.map((key) => found.get(String(key)) ?? null);
}

function makeLoaders(pool) {
  return {
    user: new DataLoader(async (ids) => {
      const { rows } = await pool.query("SELECT id, name, avatar_id FROM users WHERE id = ANY($1::bigint[])", [ids]);
      return byId(ids, rows);
    }),
    image: new DataLoader(async (ids) => {
      const { rows } = await pool.query(`SELECT ${IMAGE_COLUMNS} FROM images WHERE id = ANY($1::bigint[])`, [ids]);
      return byId(ids, rows);
    }),
  };
}

// The viewer's id by token subject, kept a minute so that a request costs no
// round trip for it (users are never deleted here).
const viewerIds = new Map();

async function viewerIdFor(pool, claims) {
  const hit = viewerIds.get(claims.sub);
  if (hit && hit.until > Date.now()) return hit.id;
  const { rows } = await pool.query(
    `INSERT INTO users (subject, name) VALUES ($1, $2)
     ON CONFLICT (subject) DO UPDATE SET name = EXCLUDED.name
     RETURNING id`,
    [claims.sub, claims.name ?? claims.sub],
  );
  viewerIds.set(claims.sub, { id: rows[0].id, until: Date.now() + 60_000 });
  return rows[0].id;
}

async function context(pool, { req }) {
  const ctx = { pool, loaders: makeLoaders(pool), viewerId: null };
  const header = req.headers.authorization;
  if (!header) return ctx;
  let claims;
  try {
    claims = jwt.verify(header.replace(/^Bearer /, ""), SECRET, { algorithms: ["HS256"] });
  } catch {
    throw new GraphQLError("Invalid token", { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
  }
  if (typeof claims.sub !== "string" || claims.sub === "") {
    throw new GraphQLError("Token has no subject", { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
  }
  ctx.viewerId = await viewerIdFor(pool, claims);
  return ctx;
}

async function serve() {
  const pool = new pg.Pool({ connectionString: DATABASE_URL });
  const app = express();
  app.disable("x-powered-by");
  const httpServer = http.createServer(app);
  const server = new ApolloServer({
    typeDefs,
    resolvers,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await server.start();

  app.get("/healthz", (_req, res) => res.send("ok"));
  app.use("/media", express.static(MEDIA_DIR, { immutable: true, maxAge: "365d" }));
  app.use(
    "/graphql",
    express.json({ limit: "1mb" }),
    graphqlUploadExpress({ maxFileSize: MAX_FILE_BYTES, maxFiles: 10 }),
    expressMiddleware(server, { context: (args) => context(pool, args) }),
  );

  await new Promise((resolve) => httpServer.listen(PORT, resolve));
  console.log(`apollo baseline (pid ${process.pid}) on http://localhost:${PORT}/graphql`);

  const stop = async () => {
    await server.stop();
    await pool.end();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

async function prepare() {
  await mkdir(MEDIA_DIR, { recursive: true });
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await pool.query(await readFile(new URL("./schema.sql", import.meta.url), "utf8"));
  await pool.end();
}

if (WORKERS > 1 && cluster.isPrimary) {
  await prepare();
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on("exit", (worker, code) => console.error(`worker ${worker.process.pid} exited with ${code}`));
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.kill("SIGTERM");
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} else {
  if (WORKERS <= 1) await prepare();
  await serve();
}
