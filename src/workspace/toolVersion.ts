/** Model Lab's version as written into manifests; a unit test keeps it equal to package.json's `version`. */
export const TOOL_VERSION = '0.1.0';
