/**
 * What an access point publishes for the applications and people that use it: its ARN, alias and
 * folder, and (for a UserAccessPoint) the console link. Each value is named after the access point,
 * so names stay stable as long as the access point name does.
 */
export interface ConsumerOutputs {
  /**
   * Add CloudFormation outputs (`CfnOutput`) for the values, under the construct (ids
   * `Outputs/Arn`, `Outputs/Alias`, `Outputs/Folder` and `Outputs/ConsoleUrl`; CDK derives the
   * logical IDs from the construct path).
   *
   * @default false
   */
  readonly cfnOutputs?: boolean;

  /**
   * Export the outputs for `Fn::ImportValue` in other stacks, as `<exportPrefix>-<accessPointName>-arn`,
   * `-alias`, `-folder` and `-console-url`. Implies `cfnOutputs`. Letters, digits, `-` and `:` only.
   *
   * @default - the outputs are not exported
   */
  readonly exportPrefix?: string;

  /**
   * Write SSM String parameters `/<ssmParameterPrefix>/<accessPointName>/arn`, `/alias`, `/folder`
   * and `/console-url`, which consumers read at deploy time or at run time. Letters, digits and
   * `_.-/`; a leading or trailing `/` is ignored.
   *
   * @default - no SSM parameters
   */
  readonly ssmParameterPrefix?: string;
}
