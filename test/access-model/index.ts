/**
 * TEST-ONLY IAM access model for synthesized templates (see world.ts, policies.ts, evaluate.ts).
 * Depends on the AGPL-licensed @cloud-copilot/iam-simulate: import it from test/ only, never from src/.
 */
export * from './world';
export * from './policies';
export * from './evaluate';
export * from './service';
