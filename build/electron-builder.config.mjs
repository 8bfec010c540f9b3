// Desktop installers: `npm run dist` builds with electron-vite, then electron-builder packs out/
// into dist/ for the machine it runs on (the release workflow runs it on Linux, macOS and Windows).
// Electron and the packaging tools are downloaded at that point, so it needs their download hosts.

/** @type {import('electron-builder').Configuration} */
export default {
  appId: 'org.consensusplayground.app',
  productName: 'Consensus Playground',
  copyright: 'Copyright © Consensus Playground contributors',
  directories: { output: 'dist', buildResources: 'build' },
  // The bundles only: sources, tests, docs and the build scripts stay out of the installer.
  // Production dependencies (better-sqlite3, ws, zod) are added by electron-builder itself.
  files: [
    'out/**',
    'package.json',
    // better-sqlite3 ships SQLite's C sources next to its prebuilt binaries; the app needs only the binaries.
    '!**/node_modules/better-sqlite3/{deps,src}/**',
  ],
  asar: true,
  // A native module cannot be loaded from inside an archive: the OS loader needs a real file.
  asarUnpack: ['**/node_modules/better-sqlite3/**'],
  // better-sqlite3's prebuilt binaries use Node-API, which Electron loads as is: no rebuild
  // against Electron's headers (and no compiler) is needed on the release machines.
  npmRebuild: false,
  electronFuses: {
    // ELECTRON_RUN_AS_NODE would turn the signed app into a plain Node that runs any script.
    runAsNode: false,
    // Cookies are encrypted on disk with a key from the OS keychain.
    enableCookieEncryption: true,
    // NODE_OPTIONS could preload code into the app (--require) before its first line.
    enableNodeOptionsEnvironmentVariable: false,
    // --inspect and friends would let anyone who can start the app attach a debugger to it.
    enableNodeCliInspectArguments: false,
    // The app.asar is checked against the hash stamped into the executable (macOS, Windows).
    enableEmbeddedAsarIntegrityValidation: true,
    // Only app.asar is loaded, so a loose app/ folder dropped beside it is ignored.
    onlyLoadAppFromAsar: true,
    // The window loads from app://, so file:// keeps no special powers.
    grantFileProtocolExtraPrivileges: false,
  },
  linux: {
    target: ['AppImage', 'deb'],
    icon: 'build/icons',
    category: 'Development',
    maintainer: 'Consensus Playground contributors <consensus-playground@users.noreply.github.com>',
    synopsis: 'Run a small consensus cluster on your machine and break it by hand.',
  },
  mac: {
    target: [{ target: 'dmg', arch: ['x64', 'arm64'] }],
    icon: 'build/icon.icns',
    category: 'public.app-category.developer-tools',
  },
  win: {
    target: ['nsis'],
    icon: 'build/icon.ico',
  },
  nsis: {
    oneClick: false,
    allowToChangeInstallationDirectory: true,
  },
};
