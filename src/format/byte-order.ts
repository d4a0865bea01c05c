/**
 * Sorting names the way Go sorts them (os.ReadDir): by their UTF-8 bytes.
 * JavaScript compares UTF-16 code units, which orders some non-ASCII names
 * differently; a name's bytes read as latin1 compare exactly as the bytes do.
 */

/** A key whose `<` order is the UTF-8 byte order of `name`. */
export function byteOrderKey(name: string): string {
  // An ASCII name's UTF-8 bytes are its characters: it is its own key, and
  // still compares right against the latin1 keys of other names.
  return NON_ASCII.test(name) ? Buffer.from(name, 'utf8').toString('latin1') : name;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** `items` sorted by the UTF-8 bytes of `nameOf(item)`, each key computed once. */
export function sortByBytes<T>(items: readonly T[], nameOf: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, key: byteOrderKey(nameOf(item)) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.item);
}
