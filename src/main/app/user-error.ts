/** A mistake of the person using the app: shown to them as it is. */
export class UserError extends Error {}
