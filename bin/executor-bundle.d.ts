/** Types of bin/executor-bundle.js (plain JavaScript: it runs before tsx is registered). */
export declare const EXECUTOR_BUNDLE: string;
export declare function freshExecutorBundle(root: string): string | undefined;
