/** The app bundle (dist/app.js in the packaged extension), loaded once on first use; see app-bundle.ts. */
export const loadAppModule = (): Promise<typeof import('./app-bundle')> => import('./app-bundle');
