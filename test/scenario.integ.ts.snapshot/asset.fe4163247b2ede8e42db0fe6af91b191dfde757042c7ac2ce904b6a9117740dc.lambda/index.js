"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// src/reader.lambda.ts
var reader_lambda_exports = {};
__export(reader_lambda_exports, {
  MAX_KEYS: () => MAX_KEYS,
  createReader: () => createReader,
  describeReadError: () => describeReadError,
  digestStream: () => digestStream,
  handler: () => handler,
  readConfig: () => readConfig,
  readObject: () => readObject,
  resolveEventKeys: () => resolveEventKeys,
  resolveKey: () => resolveKey
});
module.exports = __toCommonJS(reader_lambda_exports);
var import_node_crypto = require("node:crypto");
var import_client_s3 = require("@aws-sdk/client-s3");
var MAX_KEYS = 100;
var ACCESS_POINT_ARN = /^arn:aws[a-z-]*:s3:[a-z0-9-]+:\d{12}:accesspoint\/[a-z0-9-]+$/;
function readConfig(env) {
  const accessPointArn = env.ACCESS_POINT_ARN ?? "";
  const prefix = env.PREFIX ?? "";
  const problems = [];
  if (!ACCESS_POINT_ARN.test(accessPointArn)) {
    problems.push(`ACCESS_POINT_ARN must be an S3 access point ARN (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME), got "${accessPointArn}"`);
  }
  if (!prefix.endsWith("/") || prefix.startsWith("/") || prefix.split("/").includes("..")) {
    problems.push(`PREFIX must be a folder such as "app/" (ending in "/", not starting with "/", no ".." segment), got "${prefix}"`);
  }
  if (problems.length > 0) {
    throw new Error(`The reader is misconfigured: ${problems.join("; ")}`);
  }
  return { accessPointArn, prefix };
}
function resolveKey(prefix, key) {
  const refuse = (why) => new Error(`key ${JSON.stringify(key)} ${why} (prefix "${prefix}")`);
  if (typeof key !== "string") throw refuse("is not a string");
  if (key === "") throw refuse("is empty");
  if (key.startsWith("/")) {
    throw refuse(`starts with "/"; give it relative to the prefix ("report.csv") or in full ("${prefix}report.csv")`);
  }
  if (key.split("/").includes("..")) throw refuse('has a ".." segment, which could point outside the prefix');
  const full = key.startsWith(prefix) ? key : `${prefix}${key}`;
  if (!full.startsWith(prefix)) throw refuse(`resolves to "${full}", outside the prefix`);
  if (full === prefix) throw refuse("names the folder itself, not an object");
  return full;
}
function resolveEventKeys(event, config) {
  const refuse = (why) => new Error(`Refusing to read through access point ${config.accessPointArn}: ${why}`);
  const { key, keys } = typeof event === "object" && event !== null ? event : {};
  if (key === void 0 === (keys === void 0)) {
    throw refuse('the event must have exactly one of "key" (a string) or "keys" (an array of strings)');
  }
  let requested;
  if (keys === void 0) {
    requested = [key];
  } else if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
    throw refuse(`"keys" must be an array of 1 to ${MAX_KEYS} keys`);
  } else {
    requested = keys;
  }
  const problems = [];
  const resolved = requested.map((k) => {
    try {
      return resolveKey(config.prefix, k);
    } catch (err) {
      problems.push(err.message);
      return "";
    }
  });
  if (problems.length > 0) throw refuse(problems.join("; "));
  return resolved;
}
async function digestStream(stream) {
  const hash = (0, import_node_crypto.createHash)("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { size, sha256: hash.digest("hex") };
}
function isAsyncIterable(value) {
  return typeof value?.[Symbol.asyncIterator] === "function";
}
function describeReadError(err, key, accessPointArn) {
  const { name, message, $metadata } = err ?? {};
  const status = $metadata?.httpStatusCode;
  if (name === "NoSuchKey" || status === 404) {
    return new Error(`Object "${key}" not found through access point ${accessPointArn}`, { cause: err });
  }
  if (name === "AccessDenied" || status === 403) {
    return new Error(
      `Access denied reading "${key}" through access point ${accessPointArn}: check the access point policy, the VPC endpoint policy and the function's role (S3 also answers 403 for a missing key when the caller may not list the prefix)`,
      { cause: err }
    );
  }
  return new Error(`Failed to read "${key}" through access point ${accessPointArn}: ${name ?? "Error"}: ${message ?? String(err)}`, { cause: err });
}
async function readObject(client, accessPointArn, key) {
  try {
    const out = await client.send(new import_client_s3.GetObjectCommand({ Bucket: accessPointArn, Key: key }));
    if (!isAsyncIterable(out.Body)) throw new Error("the response has no readable body");
    const { size, sha256 } = await digestStream(out.Body);
    if (out.ContentLength !== void 0 && out.ContentLength !== size) {
      throw new Error(`the body ended after ${size} of ${out.ContentLength} bytes`);
    }
    return { key, size, contentType: out.ContentType, sha256 };
  } catch (err) {
    throw describeReadError(err, key, accessPointArn);
  }
}
function createReader(client, env) {
  async function read(event) {
    const config = readConfig(env ?? process.env);
    const keys = resolveEventKeys(event, config);
    const objects = [];
    for (const key of keys) objects.push(await readObject(client, config.accessPointArn, key));
    return event.keys === void 0 ? objects[0] : { objects };
  }
  return read;
}
var s3 = new import_client_s3.S3Client({});
var handler = createReader(s3);
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  MAX_KEYS,
  createReader,
  describeReadError,
  digestStream,
  handler,
  readConfig,
  readObject,
  resolveEventKeys,
  resolveKey
});
