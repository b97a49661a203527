namespace SharedArrays;
