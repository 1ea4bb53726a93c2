/**
 * The outputs and SSM parameters of ConsumerOutputs: their names, values and validation.
 */
import { CfnOutput, Token } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ConsumerOutputs } from './consumer-outputs';

/** The values an access point construct publishes. */
export interface ConsumerValues {
  readonly accessPointName: string;
  readonly arn: string;
  readonly alias: string;
  readonly folder: string;
  readonly consoleUrl?: string;
}

/** The value names: the last part of every export name and SSM parameter name. */
interface PublishedValue {
  /** Construct id of the output (and, with `Parameter`, of the SSM parameter). */
  readonly id: string;
  /** Last part of the export name and of the SSM parameter name. */
  readonly name: string;
  readonly pick: (v: ConsumerValues) => string | undefined;
  readonly description: string;
}

const VALUES: readonly PublishedValue[] = [
  { id: 'Arn', name: 'arn', pick: v => v.arn, description: 'ARN of the access point (pass it as Bucket to the AWS SDKs)' },
  { id: 'Alias', name: 'alias', pick: v => v.alias, description: 'alias of the access point (usable where a bucket name is expected)' },
  { id: 'Folder', name: 'folder', pick: v => v.folder, description: 'folder (key prefix) the access point grants' },
  { id: 'ConsoleUrl', name: 'console-url', pick: v => v.consoleUrl, description: 'S3 console page of the access point, opened at the folder' },
];

/** Problems with a ConsumerOutputs, each naming `prop`. */
export function validateConsumerOutputs(prop: string, outputs: ConsumerOutputs | undefined): string[] {
  const problems: string[] = [];
  const exportPrefix = outputs?.exportPrefix;
  if (exportPrefix !== undefined && !Token.isUnresolved(exportPrefix) && !/^[A-Za-z0-9:-]{1,200}$/.test(exportPrefix)) {
    problems.push(`${prop}.exportPrefix: "${exportPrefix}" may contain only letters, digits, "-" and ":" (1-200 characters; CloudFormation export names)`);
  }
  const ssmPrefix = outputs?.ssmParameterPrefix;
  if (ssmPrefix !== undefined && !Token.isUnresolved(ssmPrefix)) {
    const trimmed = trimSlashes(ssmPrefix);
    if (!/^[A-Za-z0-9_.\-/]{1,900}$/.test(trimmed) || trimmed.includes('//')) {
      problems.push(`${prop}.ssmParameterPrefix: "${ssmPrefix}" may contain only letters, digits, "_", ".", "-" and single "/" (SSM parameter names)`);
    } else if (/^(aws|ssm)/i.test(trimmed)) {
      problems.push(`${prop}.ssmParameterPrefix: "${ssmPrefix}" must not start with "aws" or "ssm" (reserved by SSM)`);
    }
  }
  return problems;
}

/**
 * Add the outputs and parameters `outputs` asks for under `scope`, in a child construct `Outputs`.
 * The caller validated `outputs` with validateConsumerOutputs. `valuesOf` is called only when
 * something is published (reading an attribute such as the alias creates a token).
 */
export function addConsumerOutputs(scope: Construct, valuesOf: () => ConsumerValues, outputs: ConsumerOutputs | undefined): void {
  if (outputs === undefined) return;
  const cfnOutputs = outputs.cfnOutputs || outputs.exportPrefix !== undefined;
  if (!cfnOutputs && outputs.ssmParameterPrefix === undefined) return;
  const values = valuesOf();
  const container = new Construct(scope, 'Outputs');
  for (const value of VALUES) {
    const text = value.pick(values);
    if (text === undefined) continue;
    const description = `${value.description}: ${values.accessPointName}`;
    if (cfnOutputs) {
      new CfnOutput(container, value.id, {
        value: text,
        description,
        exportName: outputs.exportPrefix === undefined ? undefined : `${outputs.exportPrefix}-${values.accessPointName}-${value.name}`,
      });
    }
    if (outputs.ssmParameterPrefix !== undefined) {
      new ssm.StringParameter(container, `${value.id}Parameter`, {
        parameterName: `/${trimSlashes(outputs.ssmParameterPrefix)}/${values.accessPointName}/${value.name}`,
        // The name starts with "/" even when the access point name is a token.
        simpleName: false,
        stringValue: text,
        description,
      });
    }
  }
}

function trimSlashes(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}
