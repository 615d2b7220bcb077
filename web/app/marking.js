// Markings as the UI shows them: level names, who may hold an object, and the one marking
// that covers everything on screen (the classification banner): the highest level, released
// only to the nations every shown object is released to.

import { t, has } from './i18n.js';

export class Markings {
  /** `node`: GET /api/v1/node (nation, confederation, members, levels lowest first). */
  constructor(node) {
    this.nation = node.nation;
    this.confederation = node.confederation;
    this.members = [...node.members];
    this.levels = [...node.levels];
  }

  rank(level) {
    return this.levels.indexOf(level);
  }

  /** The nations that may hold an object of `origin` marked `marking`. */
  holders(origin, marking) {
    const nations = new Set([origin]);
    for (const token of marking?.releasable_to || []) {
      if (token === this.confederation) this.members.forEach((member) => nations.add(member));
      else nations.add(token);
    }
    return nations;
  }

  /** The marking covering `items` ({origin, marking} each): highest level, common holders. An
   * empty list is the lowest level, releasable to all. */
  combine(items) {
    let rank = 0;
    let holders = null;
    for (const { origin, marking } of items) {
      if (!marking) continue;
      const itemRank = this.rank(marking.level);
      // A level this page does not know is treated as the highest: never under-marked.
      rank = Math.max(rank, itemRank < 0 ? this.levels.length - 1 : itemRank);
      const itemHolders = this.holders(origin, marking);
      holders = holders ? new Set([...holders].filter((n) => itemHolders.has(n))) : itemHolders;
    }
    return { level: this.levels[rank] ?? '', holders: holders ?? new Set(this.members) };
  }

  /** The full name of a level in the current language (its code when the catalogue has none). */
  levelName(level) {
    return has(`level.${level}`) ? t(`level.${level}`) : level;
  }

  /** "REL AES", "REL BFA, MLI", "MLI SEULEMENT". */
  caveat(holders) {
    const list = [...holders].sort();
    if (this.members.every((member) => holders.has(member))) return `REL ${this.confederation}`;
    if (list.length === 1) return t('marking.only', { nation: list[0] });
    return `REL ${list.join(', ')}`;
  }

  /** One object's marking, short: "DR REL AES", "C MLI SEULEMENT". */
  short(origin, marking) {
    return `${marking.level} ${this.caveat(this.holders(origin, marking))}`;
  }

  /** The banner's text for a combined marking. */
  bannerText(combined) {
    return `${this.levelName(combined.level)} (${combined.level}) — ${this.caveat(combined.holders)}`;
  }

  /** The CSS class of a level: by its name for the usual ones, else by its rank. */
  levelClass(level) {
    const known = ['NP', 'DR', 'C', 'S', 'TS'];
    if (known.includes(level)) return `lvl-${level}`;
    return `lvl-rank-${Math.max(0, Math.min(4, this.rank(level)))}`;
  }

  /** The levels a principal cleared to `clearance` may mark with, lowest first. */
  markable(clearance) {
    const top = this.rank(clearance);
    return this.levels.filter((_, idx) => idx <= top);
  }
}
