// Placeholder so that serverless.yml resolves while the real handler is written; replaced by its owner.
export const handler = async (): Promise<never> => {
  throw new Error('not implemented yet');
};
