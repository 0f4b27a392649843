import type { GgufFile, GgufMetadataEntry } from './types.js';

/** The metadata of a parsed file as writer entries, in file order, with their stored types. */
export function metadataEntries(file: GgufFile): GgufMetadataEntry[] {
  return Object.keys(file.metadata).map((key) => {
    const info = file.metadataTypes[key];
    return { key, type: info.type, elementType: info.elementType, element: info.element, value: file.metadata[key] };
  });
}
