// A link's rule as people read it: "20 ± 5 ms, drop 10%".
import type { LinkRuleView } from '../../shared/bridge.ts';

/** At most one decimal, none when whole. */
const short = (value: number): string => String(Math.round(value * 10) / 10);

export function describeLinkRule(rule: LinkRuleView): string {
  const parts = [rule.jitterMs > 0 ? `${short(rule.delayMs)} ± ${short(rule.jitterMs)} ms` : `${short(rule.delayMs)} ms`];
  if (rule.drop > 0) parts.push(`drop ${short(rule.drop * 100)}%`);
  if (rule.duplicate > 0) parts.push(`duplicate ${short(rule.duplicate * 100)}%`);
  if (rule.reorder > 0) parts.push(`reorder ${short(rule.reorder * 100)}%`);
  return parts.join(', ');
}

/** A rule's field as the network panel's form shows it: probabilities in percent. */
export function ruleFieldText(rule: LinkRuleView, key: keyof LinkRuleView): string {
  const value = rule[key];
  return short(key === 'delayMs' || key === 'jitterMs' ? value : value * 100);
}
