import { packageProject } from '../../vitest.shared';

// One Feast fork server for the run: each Feast Python run of the tests skips the 5 s import of feast.
export default packageProject('feast', { globalSetup: ['test/support/feast-fork-server.global.ts'] });
