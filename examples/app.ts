#!/usr/bin/env node
// `npx cdk synth` entry point (cdk.json): the README scenario, with no AWS credentials needed.
import { App } from 'aws-cdk-lib';
import { buildScenario, buildStrictScenario } from './scenario';

const app = new App();
buildScenario(app);
buildStrictScenario(app);
app.synth();
