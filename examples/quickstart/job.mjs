import { getJobParams } from 'hyperctl/job';

const params = await getJobParams();
console.log('training with', params);
