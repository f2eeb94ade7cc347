import { createServingDashboard, dashboardQueries } from './src/dashboards/serving-dashboard';

const d = createServingDashboard();
console.log(JSON.stringify(d).length, dashboardQueries(d).length);
console.log(JSON.stringify(d.templating, null, 1).slice(0, 1500));
console.log(JSON.stringify(d.panels?.[1], null, 1).slice(0, 2500));
