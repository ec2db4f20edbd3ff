/** The tool store: tool bundles in the object store, tool rows in the database. */
export { bundleKey, extractBundle, fetchBundle, makeBundle, readToolDirectory, toolXmlPaths, ToolBundleError, type Bundle } from './bundle.ts';
export { extractBundleStream, listDirectoryFiles, storeBundleFiles, type BundleFile, type StoredBundle } from './bundle-stream.ts';
export { builtinTool, builtinTools, BUILTIN_SECTION } from './builtin.ts';
export {
  getToolRow, latestVersions, listToolRows, loadBundle, loadRegisteredTool, registerToolDirectory, sectionId, ToolNotFoundError,
  type LoadedTool, type RegisterOptions, type RegisterResult, type ToolRow,
} from './registry.ts';
export { compareVersions } from './versions.ts';
export { buildFormModel, toolIoDetails, toolSummary, type ToolSummaryInfo } from './serialize.ts';
