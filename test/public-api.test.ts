/**
 * What the package exports: the constructs and their types, not the helpers behind them. Each
 * export is public API in every jsii language, documented in API.md and kept compatible.
 */
import * as lib from '../src';

describe('public API', () => {
  test('keeps the generated reader function class and the identity grantee helper internal', () => {
    // The reader is reached through VpcAccessPoint.readerFunction (a lambda.IFunction) and
    // configured with readerTimeout and readerMemorySize; identityGrantee is UserAccessPoint's.
    expect(Object.keys(lib)).not.toContain('ReaderFunction');
    expect(Object.keys(lib)).not.toContain('identityGrantee');
  });

  test('still exports the constructs and the IdentityPolicy choice', () => {
    expect(Object.keys(lib)).toEqual(expect.arrayContaining(['SharedBucket', 'UserAccessPoint', 'VpcAccessPoint', 'AccessPoint', 'IdentityPolicy']));
  });
});
