// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';
import { configure } from '@testing-library/react';

// These machines run other test suites at the same time: give findBy*/waitFor room before failing.
configure({ asyncUtilTimeout: 10000 });
