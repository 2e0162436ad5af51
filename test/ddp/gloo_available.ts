/** Why Gloo tests cannot run here (a reason to print), or null when they can. */
import * as dist from '../../lib/distributed';

export function glooUnavailable(): string | null {
  const probe = (dist as { isAvailable?: () => boolean }).isAvailable;
  if (probe && !probe()) return 'the Gloo target is not built or libgloo is missing (apt-get install libgloo-dev)';
  return null;
}
