#!/usr/bin/env node
// `npx cdk synth` entry point (cdk.json): the README scenario, with no AWS credentials needed.
import { App } from 'aws-cdk-lib';
import { buildScenario } from './scenario';

const app = new App();
buildScenario(app);
app.synth();
