/**
 * Where a UserAccessPoint writes the identity's grants.
 */
export enum IdentityPolicy {
  /**
   * The identity's default inline policy. Inline policies of one identity count together: 2,048
   * characters for a user, 5,120 for a group, 10,240 for a role.
   */
  INLINE = 'INLINE',
  /**
   * A customer managed policy per access point, attached to the identity (6,144 characters each;
   * 10 managed policies per identity by default). For identities with many access points.
   */
  MANAGED = 'MANAGED',
}
