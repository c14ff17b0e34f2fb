import type { Objective } from '../../src/index.js';

/** `min, as its search says`, `max, guessed from the name: --min or --max to say`: where a ranking's goal came from. */
export function goalSource(objective: Objective): string {
  switch (objective.from) {
    case 'search':
      return `${objective.goal}, as its search says`;
    case 'early_stopping':
      return `${objective.goal}, as its early_stopping says`;
    case 'asked':
      return objective.goal;
    case 'guess':
      return `${objective.goal}, guessed from the name: --min or --max to say`;
  }
}
