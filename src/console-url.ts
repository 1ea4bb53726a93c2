import { Stack, Token } from 'aws-cdk-lib';

/**
 * The S3 console page of an access point, opened at `folder` when given:
 * `https://console.aws.amazon.com/s3/ap/ACCOUNT/NAME?region=REGION&prefix=FOLDER`.
 *
 * AWS documents how to open an access point in the console (Access Points, then its name:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/list-object-ap.html) but not the page's
 * URL: this form is the one the console itself shows, and may change with the console. It is for
 * the `aws` partition (the China and GovCloud consoles have other hosts).
 */
export function accessPointConsoleUrl(stack: Stack, accessPointName: string, folder?: string): string {
  const prefix = folder === undefined ? '' : `&prefix=${Token.isUnresolved(folder) ? folder : encodeFolder(folder)}`;
  return `https://console.aws.amazon.com/s3/ap/${stack.account}/${accessPointName}?region=${stack.region}${prefix}`;
}

/** Percent-encode a folder for a query string, keeping its `/` readable (RFC 3986 allows it there). */
function encodeFolder(folder: string): string {
  return encodeURIComponent(folder).replace(/%2F/g, '/');
}
