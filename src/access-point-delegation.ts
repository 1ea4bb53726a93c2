import { ArnFormat, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Access } from './access';
import { DelegationConditions, actionsFor } from './policy';

/**
 * Options for `AccessPointDelegation.accounts`.
 */
export interface AccountDelegationOptions {
  /**
   * What requests through the other accounts' access points may do in the bucket, whatever those
   * access points' own policies allow. One of this library's access levels: never version
   * deletion, retention or legal-hold changes. The bucket's own account keeps full delegation
   * (its access point policies are written here).
   *
   * @default Access.READ
   */
  readonly access?: Access;
}

/**
 * Which access points the bucket policy delegates to.
 *
 * The bucket policy allows any request that arrives through a trusted access point of the
 * bucket's account; each access point's own policy then decides who may do what. Access points of
 * other accounts are held to one access level. The statements' size never depends on how many
 * access points exist.
 *
 * Delegation only allows: a same-account principal whose identity policy allows the bucket needs
 * none of it. `SharedBucketProps.denyDirectAccess` denies the paths the delegation does not trust.
 */
export abstract class AccessPointDelegation {
  /**
   * Trust every access point owned by the bucket's account (AWS's recommended bucket policy).
   */
  public static account(): AccessPointDelegation {
    return new AccountDelegation([]);
  }

  /**
   * Trust only access points of the bucket's account whose name matches `namePattern`.
   *
   * @param namePattern an access point name, or a pattern with `*` (any characters) and `?` (one
   * character), e.g. `tenant-*`.
   */
  public static accessPoints(namePattern: string): AccessPointDelegation {
    return new NamedAccessPointsDelegation(namePattern);
  }

  /**
   * Trust every access point of the bucket's account, and the access points of the given accounts
   * (cross-account access points, whose owners set `bucketAccountId`) with `options.access` only.
   *
   * The other accounts' access point policies are not written here: anyone they let through gets
   * at most the actions of `options.access` (default `Access.READ`) on any key of the bucket.
   *
   * @param accountIds 12-digit AWS account IDs
   * @param options what the other accounts' access points may do
   */
  public static accounts(accountIds: string[], options: AccountDelegationOptions = {}): AccessPointDelegation {
    return new AccountDelegation(accountIds, options.access ?? Access.READ);
  }

  /**
   * The conditions of the delegating statement, for the bucket owned by `scope`'s stack account.
   *
   * @internal
   */
  public abstract _bind(scope: IConstruct): DelegationConditions;

  /**
   * Problems with the delegation's input, each naming the prop.
   *
   * @internal
   */
  public abstract _validate(): string[];

  /**
   * Whether an access point of the bucket's account with this name is trusted.
   *
   * @internal
   */
  public abstract _admits(accessPointName: string): boolean;

  /**
   * The accounts whose access points are trusted, besides the bucket's own.
   *
   * @internal
   */
  public abstract _otherAccounts(): string[];

  /**
   * How the delegation was written, for messages (e.g. `AccessPointDelegation.accessPoints("tenant-*")`).
   *
   * @internal
   */
  public abstract _describe(): string;

  /**
   * Why the bucket policy would deny every request through an access point, or `undefined` when it
   * trusts the access point (or when tokens leave it open).
   *
   * @internal
   */
  public _problemWith(
    accessPoint: { readonly path: string; readonly name: string; readonly account: string },
    bucketAccount: string,
  ): string | undefined {
    const trusted = [bucketAccount, ...this._otherAccounts()];
    const accountTrusted = trusted.some(account => Token.compareStrings(account, accessPoint.account) !== TokenComparison.DIFFERENT);
    if (!accountTrusted) {
      return `the access point ${accessPoint.path} is in account ${accessPoint.account}, which the delegation ${this._describe()} does not trust: `
        + `the bucket would deny every request through it. Trust the account with AccessPointDelegation.accounts(["${accessPoint.account}"]), or create the access point in account ${bucketAccount}.`;
    }
    const sameAccount = Token.compareStrings(bucketAccount, accessPoint.account) !== TokenComparison.DIFFERENT;
    if (sameAccount && !this._admits(accessPoint.name)) {
      return `the access point ${accessPoint.path} is named "${accessPoint.name}", which the delegation ${this._describe()} does not trust: `
        + 'the bucket would deny every request through it. Name it to match the pattern (accessPointName), or change the delegation.';
    }
    return undefined;
  }
}

class AccountDelegation extends AccessPointDelegation {
  constructor(private readonly otherAccounts: string[], private readonly partnerAccess: Access = Access.READ) {
    super();
  }

  public _bind(scope: IConstruct): DelegationConditions {
    const account = Stack.of(scope).account;
    const partnerAccounts = [...new Set(this.otherAccounts)].filter(other => other !== account);
    return { account, partnerAccounts, partnerActions: actionsFor(this.partnerAccess) };
  }

  public _admits(_accessPointName: string): boolean {
    return true;
  }

  public _otherAccounts(): string[] {
    return this.otherAccounts;
  }

  public _describe(): string {
    return this.otherAccounts.length === 0
      ? 'AccessPointDelegation.account()'
      : `AccessPointDelegation.accounts(${JSON.stringify(this.otherAccounts)})`;
  }

  public _validate(): string[] {
    if (this.otherAccounts.length === 0) return [];
    return this.otherAccounts
      .filter(account => !Token.isUnresolved(account) && !/^\d{12}$/.test(account))
      .map(account => `delegation: "${account}" is not a 12-digit AWS account ID`);
  }
}

class NamedAccessPointsDelegation extends AccessPointDelegation {
  constructor(private readonly namePattern: string) {
    super();
  }

  public _admits(accessPointName: string): boolean {
    if (Token.isUnresolved(accessPointName) || Token.isUnresolved(this.namePattern)) return true;
    // StringLike: `*` any characters, `?` one character.
    const pattern = this.namePattern.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    return new RegExp(`^${pattern}$`).test(accessPointName);
  }

  public _otherAccounts(): string[] {
    return [];
  }

  public _describe(): string {
    return `AccessPointDelegation.accessPoints("${this.namePattern}")`;
  }

  public _bind(scope: IConstruct): DelegationConditions {
    const stack = Stack.of(scope);
    const arnPattern = stack.formatArn({
      service: 's3',
      resource: 'accesspoint',
      resourceName: this.namePattern,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    return { account: stack.account, accessPointArnPattern: arnPattern, partnerAccounts: [], partnerActions: actionsFor(Access.READ) };
  }

  public _validate(): string[] {
    if (Token.isUnresolved(this.namePattern)) return [];
    if (!/^[a-z0-9*?-]{1,50}$/.test(this.namePattern) || /^[*?]+$/.test(this.namePattern)) {
      return [`delegation: access point name pattern "${this.namePattern}" may contain only lowercase letters, digits, "-", "*" and "?" (1-50 characters), and must not be only wildcards (use AccessPointDelegation.account() to trust every access point)`];
    }
    return [];
  }
}
