import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, GetObjectCommandOutput, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import {
  createReader,
  digestStream,
  handler,
  MAX_KEYS,
  ObjectSummary,
  readConfig,
  ReaderResult,
  resolveKey,
} from '../src/reader.lambda';

const ARN = 'arn:aws:s3:us-east-1:123456789012:accesspoint/app-vpc-access-point-test';
const PREFIX = 'app/';
const MIB = 1024 * 1024;

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A GetObject body over `source`. Its buffering helpers fail, so a handler that reads the whole
 * object into memory instead of streaming it fails every test that uses one.
 */
function body(source: string | Readable): GetObjectCommandOutput['Body'] {
  const stream = typeof source === 'string' ? Readable.from([Buffer.from(source)], { objectMode: false }) : source;
  const buffered = () => Promise.reject(new Error('the handler buffered the whole body'));
  return Object.assign(stream, {
    transformToByteArray: buffered,
    transformToString: buffered,
    transformToWebStream: () => {
      throw new Error('the handler converted the body to a web stream');
    },
  }) as unknown as GetObjectCommandOutput['Body'];
}

function s3Error(name: string, httpStatusCode: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message: `${name} from S3` });
}

/** Byte value of chunk `i` of the pattern; neighbouring chunks differ, so a reused chunk changes the hash. */
function patternByte(i: number): number {
  return (i * 37 + 11) % 256;
}

function patternSha256(chunks: number, chunkSize: number): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(chunkSize);
  for (let i = 0; i < chunks; i++) {
    hash.update(chunk.fill(patternByte(i)));
  }
  return hash.digest('hex');
}

/**
 * Produces `chunks` chunks of `chunkSize` bytes on demand, all written into ONE reused buffer.
 * A consumer that keeps chunks after taking the next one (to concatenate them, say) sees only
 * the last chunk's bytes and computes the wrong hash, so a correct hash proves it streamed.
 */
class PatternSource extends Readable {
  /** How many chunks were generated. */
  public generated = 0;
  /** The most bytes waiting in the stream whenever a new chunk was about to be generated. */
  public maxBufferedBeforeNext = 0;
  private readonly chunk: Buffer;

  constructor(private readonly chunks: number, chunkSize: number) {
    super();
    this.chunk = Buffer.alloc(chunkSize);
  }

  public _read(): void {
    // On a later turn, so the consumer has finished with the chunk this buffer is about to overwrite.
    setImmediate(() => {
      this.maxBufferedBeforeNext = Math.max(this.maxBufferedBeforeNext, this.readableLength);
      if (this.generated === this.chunks) {
        this.push(null);
        return;
      }
      this.chunk.fill(patternByte(this.generated));
      this.generated++;
      this.push(this.chunk);
    });
  }
}

describe('reader.lambda', () => {
  const savedEnv = { ACCESS_POINT_ARN: process.env.ACCESS_POINT_ARN, PREFIX: process.env.PREFIX };

  beforeEach(() => {
    process.env.ACCESS_POINT_ARN = ARN;
    process.env.PREFIX = PREFIX;
  });

  afterAll(() => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  describe('resolveKey', () => {
    test('puts a relative key under the prefix', () => {
      expect(resolveKey(PREFIX, 'report.csv')).toBe('app/report.csv');
      expect(resolveKey(PREFIX, '2024/q1/report.csv')).toBe('app/2024/q1/report.csv');
    });

    test('keeps a full key under the prefix as it is', () => {
      expect(resolveKey(PREFIX, 'app/report.csv')).toBe('app/report.csv');
      expect(resolveKey('team/app/', 'team/app/x/y.bin')).toBe('team/app/x/y.bin');
    });

    test('treats a key that only starts like the prefix as relative', () => {
      expect(resolveKey(PREFIX, 'application.log')).toBe('app/application.log');
      expect(resolveKey(PREFIX, 'other/x.csv')).toBe('app/other/x.csv');
    });

    test('allows dots that are not a ".." segment', () => {
      expect(resolveKey(PREFIX, '..hidden')).toBe('app/..hidden');
      expect(resolveKey(PREFIX, 'app/a..b/c.d')).toBe('app/a..b/c.d');
    });

    test('refuses a key outside the prefix', () => {
      for (const key of ['../other/x.csv', 'app/../other/x.csv', 'app/a/../../other/x.csv']) {
        expect(() => resolveKey(PREFIX, key)).toThrow(`key "${key}" has a ".." segment, which could point outside the prefix (prefix "app/")`);
      }
    });

    test('refuses a ".." segment even where it would stay inside the prefix', () => {
      expect(() => resolveKey(PREFIX, 'app/a/../b.csv')).toThrow(/"app\/a\/..\/b.csv" has a ".." segment/);
      expect(() => resolveKey(PREFIX, 'a/..')).toThrow(/".." segment/);
      expect(() => resolveKey(PREFIX, '..')).toThrow(/".." segment/);
    });

    test('refuses a key starting with "/"', () => {
      expect(() => resolveKey(PREFIX, '/app/report.csv')).toThrow(
        'key "/app/report.csv" starts with "/"; give it relative to the prefix ("report.csv") or in full ("app/report.csv") (prefix "app/")',
      );
      expect(() => resolveKey(PREFIX, '/../x')).toThrow(/starts with "\/"/);
    });

    test('refuses an empty key and the folder itself', () => {
      expect(() => resolveKey(PREFIX, '')).toThrow('key "" is empty (prefix "app/")');
      expect(() => resolveKey(PREFIX, 'app/')).toThrow('key "app/" names the folder itself, not an object (prefix "app/")');
    });

    test('refuses a key that is not a string', () => {
      expect(() => resolveKey(PREFIX, 42)).toThrow('key 42 is not a string (prefix "app/")');
      expect(() => resolveKey(PREFIX, undefined)).toThrow(/is not a string/);
    });
  });

  describe('readConfig', () => {
    test('reads the access point and the prefix', () => {
      expect(readConfig({ ACCESS_POINT_ARN: ARN, PREFIX })).toEqual({ accessPointArn: ARN, prefix: PREFIX });
    });

    test('fails if ACCESS_POINT_ARN is missing or not an access point ARN', () => {
      expect(() => readConfig({ PREFIX })).toThrow(/ACCESS_POINT_ARN must be an S3 access point ARN .*got ""/);
      expect(() => readConfig({ PREFIX, ACCESS_POINT_ARN: 'arn:aws:s3:::my-bucket' })).toThrow(/got "arn:aws:s3:::my-bucket"/);
    });

    test('fails if PREFIX is not a folder', () => {
      for (const prefix of [undefined, '', 'app', '/app/', '../app/']) {
        expect(() => readConfig({ ACCESS_POINT_ARN: ARN, PREFIX: prefix })).toThrow(/PREFIX must be a folder such as "app\/"/);
      }
    });
  });

  describe('digestStream', () => {
    test('counts the bytes and hashes them across chunks', async () => {
      const chunks = ['hel', 'lo, ', 'wor', 'ld'].map((s) => Buffer.from(s));
      await expect(digestStream(Readable.from(chunks))).resolves.toEqual({ size: 12, sha256: sha256('hello, world') });
    });

    test('reports an empty stream', async () => {
      await expect(digestStream(Readable.from([]))).resolves.toEqual({ size: 0, sha256: sha256('') });
    });
  });

  describe('handler', () => {
    let s3Mock: AwsClientStub<S3Client>;

    beforeAll(() => {
      s3Mock = mockClient(S3Client);
    });

    beforeEach(() => {
      s3Mock.reset();
    });

    // Restored here so the endpoint tests below run the real client.
    afterAll(() => {
      s3Mock.restore();
    });

    describe('refusals', () => {
      test.each([
        ['a key outside the prefix', '../other/x.csv'],
        ['a key that climbs out of the prefix', 'app/../other/x.csv'],
        ['a key starting with "/"', '/app/x.csv'],
        ['an empty key', ''],
      ])('refuses %s before any request, naming the key, the prefix and the access point', async (_, key) => {
        await expect(handler({ key })).rejects.toThrow(
          `Refusing to read through access point ${ARN}: key ${JSON.stringify(key)} `,
        );
        await expect(handler({ key })).rejects.toThrow('(prefix "app/")');
        expect(s3Mock.calls()).toHaveLength(0);
      });

      test.each([
        ['neither key form', {}],
        ['both key forms', { key: 'a.csv', keys: ['b.csv'] }],
      ])('refuses an event with %s', async (_, event) => {
        await expect(handler(event as never)).rejects.toThrow(
          `Refusing to read through access point ${ARN}: the event must have exactly one of "key" (a string) or "keys" (an array of strings)`,
        );
        expect(s3Mock.calls()).toHaveLength(0);
      });

      test('refuses a "keys" that is not a list of 1 to 100 keys', async () => {
        const tooMany = Array.from({ length: MAX_KEYS + 1 }, (_, i) => `${i}.csv`);
        await expect(handler({ keys: 'a.csv' } as never)).rejects.toThrow('"keys" must be an array of 1 to 100 keys');
        await expect(handler({ keys: [] })).rejects.toThrow('"keys" must be an array of 1 to 100 keys');
        await expect(handler({ keys: tooMany })).rejects.toThrow('"keys" must be an array of 1 to 100 keys');
        expect(s3Mock.calls()).toHaveLength(0);
      });

      test('refuses every key of a list if one is bad, and lists each bad key', async () => {
        const read = handler({ keys: ['ok.csv', '../x.csv', 'app/fine.csv', '/y.csv'] });
        await expect(read).rejects.toThrow(/key "..\/x.csv" has a ".." segment.*; key "\/y.csv" starts with "\/"/);
        expect(s3Mock.calls()).toHaveLength(0);
      });

      test('fails without configuration before any request', async () => {
        delete process.env.PREFIX;
        await expect(handler({ key: 'report.csv' })).rejects.toThrow(/The reader is misconfigured: PREFIX must be a folder/);
        expect(s3Mock.calls()).toHaveLength(0);
      });

      test('reads the environment on every invocation', async () => {
        s3Mock.on(GetObjectCommand).resolves({ Body: body('x') });
        process.env.PREFIX = 'other/';
        await expect(handler({ key: 'x.csv' })).resolves.toMatchObject({ key: 'other/x.csv' });
      });
    });

    describe('reading', () => {
      test('reports the size, content type and sha256 of one key', async () => {
        const content = 'id,name\n1,alice\n';
        s3Mock.on(GetObjectCommand, { Bucket: ARN, Key: 'app/report.csv' }).resolves({
          Body: body(content), ContentType: 'text/csv', ContentLength: Buffer.byteLength(content),
        });

        const result = await handler({ key: 'report.csv' });

        expect(result).toEqual({ key: 'app/report.csv', size: 16, contentType: 'text/csv', sha256: sha256(content) });
        expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: ARN, Key: 'app/report.csv' }]);
      });

      test('returns one summary per key, in the order of the keys', async () => {
        const contents: Record<string, string> = { 'app/a.csv': 'a'.repeat(10), 'app/b/c.json': '{}', 'app/d.bin': '' };
        s3Mock.on(GetObjectCommand).callsFake(async (input: { Key: string }) => (
          { Body: body(contents[input.Key]), ContentType: 'application/octet-stream' }));

        const result = await handler({ keys: ['a.csv', 'app/b/c.json', 'd.bin'] }) as ReaderResult;

        expect(result).toEqual({
          objects: Object.entries(contents).map(([key, content]) => ({
            key, size: content.length, contentType: 'application/octet-stream', sha256: sha256(content),
          })),
        });
      });

      test('returns a list for "keys" even with one key', async () => {
        s3Mock.on(GetObjectCommand).resolves({ Body: body('x'), ContentType: 'text/plain' });
        await expect(handler({ keys: ['x.txt'] })).resolves.toEqual({
          objects: [{ key: 'app/x.txt', size: 1, contentType: 'text/plain', sha256: sha256('x') }],
        });
      });

      test('fails if the body ends before its Content-Length', async () => {
        s3Mock.on(GetObjectCommand).resolves({ Body: body('short'), ContentLength: 100 });
        await expect(handler({ key: 'cut.bin' })).rejects.toThrow(
          `Failed to read "app/cut.bin" through access point ${ARN}: Error: the body ended after 5 of 100 bytes`,
        );
      });
    });

    describe('errors', () => {
      test('fails if the response has no body', async () => {
        s3Mock.on(GetObjectCommand).resolves({ ContentType: 'text/csv' });
        await expect(handler({ key: 'x.csv' })).rejects.toThrow(`Failed to read "app/x.csv" through access point ${ARN}: Error: the response has no readable body`);
      });

      test('names the key and the access point when the object does not exist', async () => {
        const notFound = new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
        s3Mock.on(GetObjectCommand).rejects(notFound);

        const error = await handler({ key: 'missing.csv' }).catch((e: Error) => e);

        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toBe(`Object "app/missing.csv" not found through access point ${ARN}`);
        expect((error as Error).cause).toBe(notFound);
      });

      test('treats any 404 as a missing object', async () => {
        s3Mock.on(GetObjectCommand).rejects(s3Error('NotFound', 404));
        await expect(handler({ key: 'missing.csv' })).rejects.toThrow(`Object "app/missing.csv" not found through access point ${ARN}`);
      });

      test.each([
        ['AccessDenied', 403],
        ['Forbidden', 403],
      ])('says what to check when S3 answers %s', async (name, status) => {
        const denied = s3Error(name, status);
        s3Mock.on(GetObjectCommand).rejects(denied);

        const error = await handler({ key: 'secret.csv' }).catch((e: Error) => e);

        expect((error as Error).message).toMatch(
          `Access denied reading "app/secret.csv" through access point ${ARN}: check the access point policy, the VPC endpoint policy and the function's role`,
        );
        expect((error as Error).cause).toBe(denied);
      });

      test('rethrows other errors with the key, the access point and the cause', async () => {
        const slowDown = s3Error('SlowDown', 503);
        s3Mock.on(GetObjectCommand).rejects(slowDown);

        const error = await handler({ keys: ['busy.csv'] }).catch((e: Error) => e);

        expect((error as Error).message).toBe(`Failed to read "app/busy.csv" through access point ${ARN}: SlowDown: SlowDown from S3`);
        expect((error as Error).cause).toBe(slowDown);
      });

      test('reads no further key after a read fails', async () => {
        s3Mock.on(GetObjectCommand).resolves({ Body: body('ok') });
        s3Mock.on(GetObjectCommand, { Key: 'app/1.csv' }).rejects(s3Error('AccessDenied', 403));
        const keys = Array.from({ length: 40 }, (_, i) => `${i}.csv`);

        await expect(handler({ keys })).rejects.toThrow(/Access denied reading "app\/1.csv"/);
        expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual(['app/0.csv', 'app/1.csv']);
      });
    });

    describe('streaming', () => {
      test('hashes a 64 MiB object chunk by chunk without holding it in memory', async () => {
        const chunks = 64;
        const source = new PatternSource(chunks, MIB);
        s3Mock.on(GetObjectCommand).resolves({ Body: body(source), ContentLength: chunks * MIB, ContentType: 'application/octet-stream' });

        const result = await handler({ key: 'big.bin' }) as ObjectSummary;

        expect(result).toEqual({ key: 'app/big.bin', size: chunks * MIB, contentType: 'application/octet-stream', sha256: patternSha256(chunks, MIB) });
        expect(source.generated).toBe(chunks);
        // Each chunk was consumed before the next was made: never more than one chunk in flight.
        expect(source.maxBufferedBeforeNext).toBe(0);
      });

      test('waits for a body that arrives slowly, chunk by chunk, and hashes all of it', async () => {
        // GIVEN a body whose chunks come 10 s apart on a fake clock: 60 s in all, far beyond
        // Lambda's default 3 s timeout (the construct's default is 5 minutes)
        jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
        try {
          const chunks = ['id,name\n', '1,alice\n', '2,bob\n', '3,carol\n', '4,dave\n', '5,erin\n'];
          let delivered = 0;
          const slow = new Readable({
            read() {
              setTimeout(() => {
                if (delivered === chunks.length) {
                  this.push(null);
                } else {
                  this.push(Buffer.from(chunks[delivered++]));
                }
              }, 10_000);
            },
          });
          const content = chunks.join('');
          s3Mock.on(GetObjectCommand).resolves({ Body: body(slow), ContentLength: Buffer.byteLength(content), ContentType: 'text/csv' });

          // WHEN the handler reads it
          let settled = false;
          const result = handler({ key: 'slow.csv' }).finally(() => {
            settled = true;
          });

          // THEN it is still reading after each pause, never taking a pause for the end of the body
          for (let i = 1; i <= chunks.length; i++) {
            await jest.advanceTimersByTimeAsync(10_000);
            expect(delivered).toBe(i);
            expect(settled).toBe(false);
          }
          // AND the end of the stream completes it, with every chunk counted and hashed
          await jest.advanceTimersByTimeAsync(10_000);
          await expect(result).resolves.toEqual({ key: 'app/slow.csv', size: Buffer.byteLength(content), contentType: 'text/csv', sha256: sha256(content) });
        } finally {
          jest.useRealTimers();
        }
      });

      test('the pattern source catches a reader that keeps chunks', async () => {
        // GIVEN a reader that collects the chunks and hashes them at the end
        const source = new PatternSource(4, 1024);
        const kept: Buffer[] = [];
        for await (const chunk of source) kept.push(chunk);

        // THEN its hash is wrong, which is what makes the streaming test above a proof
        expect(sha256(Buffer.concat(kept))).not.toBe(patternSha256(4, 1024));
      });
    });
  });

  describe('endpoint resolution', () => {
    interface SentRequest {
      readonly protocol: string;
      readonly hostname: string;
      readonly path: string;
      readonly headers: Record<string, string>;
    }

    /** A real S3Client whose transport records the signed request and answers 200 without network. */
    function offlineClient(region: string, content: string) {
      const sent: SentRequest[] = [];
      const client = new S3Client({
        region,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
        requestHandler: {
          handle: async (request: SentRequest) => {
            sent.push(request);
            return {
              response: {
                statusCode: 200,
                headers: { 'content-type': 'text/csv', 'content-length': String(Buffer.byteLength(content)) },
                body: Readable.from([Buffer.from(content)], { objectMode: false }),
              },
            };
          },
        },
      });
      return { client, sent };
    }

    test.each([
      ['us-east-1', ARN, 'app-vpc-access-point-test-123456789012.s3-accesspoint.us-east-1.amazonaws.com'],
      ['eu-central-1', 'arn:aws:s3:eu-central-1:123456789012:accesspoint/reports', 'reports-123456789012.s3-accesspoint.eu-central-1.amazonaws.com'],
    ])('sends a %s access point request to the access point host, signed for its region', async (region, arn, host) => {
      const { client, sent } = offlineClient(region, 'a,b\n');
      const read = createReader(client, { ACCESS_POINT_ARN: arn, PREFIX });

      const result = await read({ key: 'report.csv' });

      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ protocol: 'https:', hostname: host, path: '/app/report.csv' });
      expect(sent[0].headers.authorization).toContain(`/${region}/s3/aws4_request`);
      expect(sent[0].headers.authorization).toContain('Credential=AKIDEXAMPLE/');
      // The SDK's own stream wrapper delivered the body, not a mock.
      expect(result).toEqual({ key: 'app/report.csv', size: 4, contentType: 'text/csv', sha256: sha256('a,b\n') });
    });

    test("uses the ARN's region, not the client's", async () => {
      const { client, sent } = offlineClient('eu-west-1', 'x');

      await createReader(client, { ACCESS_POINT_ARN: ARN, PREFIX })({ key: 'x.csv' });

      expect(sent[0].hostname).toBe('app-vpc-access-point-test-123456789012.s3-accesspoint.us-east-1.amazonaws.com');
      expect(sent[0].headers.authorization).toContain('/us-east-1/s3/aws4_request');
    });
  });
});
