export function findElectronBinary(root?: string): { path: string | null; reason: string | null };
