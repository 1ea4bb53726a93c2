export * from './access';
export * from './access-point-delegation';
export * from './shared-bucket';
export * from './access-point';
export * from './user-access-point';
export * from './vpc-access-point';
export * from './identity-policy';
