import { CfnResource, Stack } from 'aws-cdk-lib';

/** A resource's properties as CloudFormation receives them: resolved in its stack, overrides included. */
export function renderedProperties(resource: CfnResource): Record<string, any> {
  const stack = Stack.of(resource);
  const rendered = stack.resolve((resource as any)._toCloudFormation());
  const body: any = Object.values(rendered?.Resources ?? {})[0] ?? {};
  return body.Properties ?? {};
}
