import { simulatedExecutor } from '../../src/execute/simulated.js';
import { describeExecutorContract } from './contract.js';

describeExecutorContract('simulated', (instance) => simulatedExecutor(instance));
