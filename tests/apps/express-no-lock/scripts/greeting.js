// The app's own scripts/ folder: part of the app, so it must be in the package.
exports.greeting = () => `${process.env.APP_GREETING} from scripts/`;
