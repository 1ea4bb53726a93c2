/** Small helpers shared by the construct tests. */
import { Template } from 'aws-cdk-lib/assertions';

/** The message of the error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, but nothing was thrown');
}

/** The statements of the template's only access point policy. */
export function accessPointPolicyStatements(template: Template): any[] {
  const accessPoints = Object.values(template.findResources('AWS::S3::AccessPoint'));
  expect(accessPoints).toHaveLength(1);
  return (accessPoints[0] as any).Properties.Policy?.Statement ?? [];
}
