import { exitWith, runService } from './runService.js';

/** The service's entry point (`npm start`, the container's command). */
exitWith(runService());
