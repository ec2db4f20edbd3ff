export * from './interfaces.ts';
export { enqueue, enqueueMany } from './sql/enqueue.ts';
export { cancelTask, cancelTaskByKey } from './sql/cancel.ts';
export { listDeadTasks, retryDeadTask, getTask } from './sql/deadLetter.ts';
export { schedulePeriodic, enqueueDuePeriodic, type PeriodicSpec } from './sql/periodic.ts';
export { readQueueGauges, type QueueGauges } from './sql/gauges.ts';
export { registerTaskMetrics, type TaskMetrics } from './metrics.ts';
export { TaskWorker, type TaskWorkerOptions } from './worker.ts';
